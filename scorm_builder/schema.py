"""The SCORM 1.2 manifest schema (IMS CP 1.1.2 + ADL CP + IMS MD), built from the bundled XSDs.

The XSD files ship untouched (the builder copies them into every package), but libxml2 rejects two
of them as published. A resolver serves patched texts in memory, so the files stay byte-exact and
no import ever reaches the network:

1. ``ims_xml.xsd`` binds the xml namespace as the default namespace, which XML Namespaces forbids
   ("xml namespace URI cannot be the default namespace"); the binding is dropped (nothing uses it).
2. ``imsmd_rootv1p2p1.xsd``'s ``grp.any`` is ``<xsd:any namespace="##any">`` after optional imsmd
   elements, which violates Unique Particle Attribution; ``##other`` keeps the intent and is legal.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from courseware.packaged import resource_dir

SCHEMA_DIR = resource_dir("scorm_builder", "schemas")

IMSCP_NS = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP_NS = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"

_IMSCP_XSD = "imscp_rootv1p1p2.xsd"
_ADLCP_XSD = "adlcp_rootv1p2.xsd"
_IMSMD_XSD = "imsmd_rootv1p2p1.xsd"
_XML_XSD = "ims_xml.xsd"

SCHEMA_FILES: tuple[Path, ...] = tuple(SCHEMA_DIR / n for n in (_IMSCP_XSD, _ADLCP_XSD, _IMSMD_XSD, _XML_XSD))
"""The four XSDs a SCORM 1.2 package carries at its root (referenced by xsi:schemaLocation)."""

_PATCHES: dict[str, tuple[bytes, bytes]] = {
    _XML_XSD: (b' xmlns="http://www.w3.org/XML/1998/namespace"', b""),
    _IMSMD_XSD: (b'namespace="##any"', b'namespace="##other"'),
}

# Namespaces spelled as prefixes in messages: libxml2 prints {uri}name, which buries the element name.
_READABLE_NS = {f"{{{IMSCP_NS}}}": "", f"{{{ADLCP_NS}}}": "adlcp:", f"{{{IMSMD_NS}}}": "imsmd:"}

_WRAPPER = f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="{IMSCP_NS}" schemaLocation="{_IMSCP_XSD}"/>
  <xsd:import namespace="{ADLCP_NS}" schemaLocation="{_ADLCP_XSD}"/>
  <xsd:import namespace="{IMSMD_NS}" schemaLocation="{_IMSMD_XSD}"/>
</xsd:schema>"""

# An XMLSchema's error_log belongs to the shared instance, so validations must not interleave.
_VALIDATE_LOCK = threading.Lock()


class SchemaIssue(NamedTuple):
    """One XSD violation: the manifest line and libxml2's message (namespaces shortened)."""

    line: int
    message: str


def _schema_text(name: str) -> bytes:
    """The XSD as libxml2 can compile it; fails loudly if a patch no longer matches the file."""
    data = (SCHEMA_DIR / name).read_bytes()
    if name in _PATCHES:
        old, new = _PATCHES[name]
        if old not in data:
            raise RuntimeError(f"{SCHEMA_DIR / name}: expected text {old!r} to patch is missing")
        data = data.replace(old, new)
    return data


class _LocalSchemaResolver(etree.Resolver):
    """Serves the bundled, patched XSDs for any schemaLocation naming one of them."""

    _names = frozenset(p.name for p in SCHEMA_FILES)

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> object:
        name = (system_url or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name in self._names:
            return self.resolve_string(_schema_text(name), context, base_url=(SCHEMA_DIR / name).as_uri())
        return None


@cache
def manifest_schema() -> etree.XMLSchema:
    """Compiled once per process: a wrapper importing imscp, adlcp and imsmd, so manifests using all
    three namespaces validate."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemaResolver())
    wrapper = etree.fromstring(_WRAPPER.encode(), parser, base_url=(SCHEMA_DIR / "wrapper.xsd").as_uri())
    return etree.XMLSchema(etree.ElementTree(wrapper))


def _readable(message: str) -> str:
    for qualified, prefix in _READABLE_NS.items():
        message = message.replace(qualified, prefix)
    return message


def schema_issues(manifest: etree._ElementTree) -> list[SchemaIssue]:
    """Every XSD violation in the manifest with its line; empty when it is schema-valid."""
    schema = manifest_schema()
    with _VALIDATE_LOCK:
        schema.validate(manifest)
        return [SchemaIssue(e.line, _readable(e.message)) for e in schema.error_log]


def schema_errors(manifest: etree._ElementTree) -> list[str]:
    """Every XSD violation as ``line N: message``; empty when the manifest is schema-valid."""
    return [f"line {issue.line}: {issue.message}" for issue in schema_issues(manifest)]
