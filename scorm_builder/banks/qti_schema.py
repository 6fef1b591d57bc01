"""The IMS QTI 2.1 XSD (vendored in `schemas/qti21/`, see SOURCES.md there), compiled once.

Every import in the vendored tree is a relative path, so compiling it reaches no network; the
parser is also told not to. The export checks every file it writes against it.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from courseware.packaged import resource_dir
from scorm_builder.xsd import document_errors, offline_parser

QTI21_DIR = resource_dir("scorm_builder", "schemas") / "qti21"
QTI21_XSD = QTI21_DIR / "qtiv2p1" / "imsqti_v2p1.xsd"
# The package manifest: IMS CP 1.1 with LOM metadata (CP's metadata is lax: LOM is checked once loaded).
_CP_XSD = (QTI21_DIR / "imscp_v1p1.xsd").as_uri()
_LOM_XSD = (QTI21_DIR / "lom" / "imsmd_loose_v1p3p2.xsd").as_uri()
_MANIFEST_WRAPPER = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="http://www.imsglobal.org/xsd/imscp_v1p1" schemaLocation="{_CP_XSD}"/>
  <xsd:import namespace="http://ltsc.ieee.org/xsd/LOM" schemaLocation="{_LOM_XSD}"/>
</xsd:schema>"""


@cache
def qti21_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(QTI21_XSD), offline_parser()))


@cache
def manifest_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(_MANIFEST_WRAPPER.encode(), offline_parser()))


def qti21_errors(document: bytes) -> list[str]:
    """`line: message` for each XSD violation of a QTI 2.1 item or test; empty when valid."""
    return document_errors(qti21_schema(), document)


def manifest_errors(document: bytes) -> list[str]:
    """The same for the package's imsmanifest.xml (IMS CP 1.1, LOM keywords)."""
    return document_errors(manifest_schema(), document)
