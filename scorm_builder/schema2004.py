"""The SCORM 2004 4th Edition manifest schema set (IMS CP 1.1 + ADL CP/SEQ/NAV 1.3 + IMS SS 1.0).

The XSDs ship byte-exact in ``schemas/scorm2004/`` (provenance and checksums in its SOURCES.md) and
every 2004 package carries them at its root. They compile in lxml as published; a resolver serves
them from the package folder so no import or include ever reaches the network. A wrapper schema
imports all five namespaces, so a manifest using any of them (in ``xsd:any`` slots the CP schema
processes laxly) is validated against each.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

from courseware.packaged import resource_dir
from scorm_builder.schema import SchemaIssue

SCHEMA_DIR = resource_dir("scorm_builder", "schemas") / "scorm2004"

IMSCP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP_NS = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ_NS = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV_NS = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS_NS = "http://www.imsglobal.org/xsd/imsss"

#: namespace -> the XSD that defines it (the file names xsi:schemaLocation points at)
SCHEMA_LOCATIONS = {
    IMSCP_NS: "imscp_v1p1.xsd",
    ADLCP_NS: "adlcp_v1p3.xsd",
    ADLSEQ_NS: "adlseq_v1p3.xsd",
    ADLNAV_NS: "adlnav_v1p3.xsd",
    IMSSS_NS: "imsss_v1p0.xsd",
}

SCHEMA_FILES: tuple[Path, ...] = tuple(
    sorted((p for p in SCHEMA_DIR.iterdir() if p.suffix in (".xsd", ".dtd")), key=lambda p: p.name)
)
"""Every file of the set (the XSDs and the two DTDs xml.xsd names), carried at each package's root."""

_READABLE_NS = {
    f"{{{IMSCP_NS}}}": "",
    f"{{{ADLCP_NS}}}": "adlcp:",
    f"{{{ADLSEQ_NS}}}": "adlseq:",
    f"{{{ADLNAV_NS}}}": "adlnav:",
    f"{{{IMSSS_NS}}}": "imsss:",
}

_WRAPPER = (
    '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
    + "".join(f'<xsd:import namespace="{ns}" schemaLocation="{x}"/>' for ns, x in SCHEMA_LOCATIONS.items())
    + "</xsd:schema>"
)

_VALIDATE_LOCK = threading.Lock()  # an XMLSchema's error_log is shared: validations must not interleave


class _LocalSchemaResolver(etree.Resolver):
    """Serves the bundled files for any system URL naming one of them (DTDs included)."""

    _names = frozenset(p.name for p in SCHEMA_FILES)

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> object:
        name = (system_url or "").replace("\\", "/").rsplit("/", 1)[-1]
        if name in self._names:
            return self.resolve_filename(str(SCHEMA_DIR / name), context)
        return None


@cache
def manifest_schema() -> etree.XMLSchema:
    """Compiled once per process from the wrapper importing every namespace of the set."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_LocalSchemaResolver())
    wrapper = etree.fromstring(_WRAPPER.encode(), parser, base_url=(SCHEMA_DIR / "wrapper.xsd").as_uri())
    return etree.XMLSchema(etree.ElementTree(wrapper))


def _readable(message: str) -> str:
    for qualified, prefix in _READABLE_NS.items():
        message = message.replace(qualified, prefix)
    return message


def schema_issues(manifest: etree._ElementTree) -> list[SchemaIssue]:
    """Every XSD violation of a SCORM 2004 manifest with its line; empty when it is schema-valid."""
    schema = manifest_schema()
    with _VALIDATE_LOCK:
        schema.validate(manifest)
        return [SchemaIssue(e.line, _readable(e.message)) for e in schema.error_log]
