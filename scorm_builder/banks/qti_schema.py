"""The IMS QTI 2.1 XSD (vendored in `schemas/qti21/`, see SOURCES.md there), compiled once.

Every import in the vendored tree is a relative path, so compiling it reaches no network; the
parser is also told not to. The export checks every file it writes against it.
"""

from __future__ import annotations

import threading
from functools import cache

from lxml import etree

from courseware.packaged import resource_dir

QTI21_XSD = resource_dir("scorm_builder", "schemas") / "qti21" / "qtiv2p1" / "imsqti_v2p1.xsd"
_LOCK = threading.Lock()  # an XMLSchema's error_log is shared by every validation


@cache
def qti21_schema() -> etree.XMLSchema:
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(QTI21_XSD), parser))


def qti21_errors(document: bytes) -> list[str]:
    """`line: message` for each XSD violation of a QTI 2.1 item or test; empty when valid."""
    tree = etree.fromstring(document, etree.XMLParser(no_network=True, resolve_entities=False))
    schema = qti21_schema()
    with _LOCK:
        if schema.validate(tree):
            return []
        return [f"{error.line}: {error.message}" for error in schema.error_log]
