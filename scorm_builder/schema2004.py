"""The SCORM 2004 4th Edition manifest schema set (IMS CP 1.1 + ADL CP/SEQ/NAV 1.3 + IMS SS 1.0).

The XSDs ship byte-exact in ``schemas/scorm2004/`` (provenance and checksums in its SOURCES.md) and
every 2004 package carries them at its root. They compile in lxml as published; a resolver serves
them from the package folder so no import or include ever reaches the network. A wrapper schema
imports all five namespaces, so a manifest using any of them (in ``xsd:any`` slots the CP schema
processes laxly) is validated against each.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from courseware.packaged import resource_dir
from scorm_builder.xsd import SchemaIssue, SchemaSet

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

SCHEMA_SET = SchemaSet(
    SCHEMA_DIR,
    SCHEMA_FILES,
    wrapper=(
        '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        + "".join(
            f'<xsd:import namespace="{ns}" schemaLocation="{xsd}"/>' for ns, xsd in SCHEMA_LOCATIONS.items()
        )
        + "</xsd:schema>"
    ),
    readable_namespaces={
        IMSCP_NS: "",
        ADLCP_NS: "adlcp:",
        ADLSEQ_NS: "adlseq:",
        ADLNAV_NS: "adlnav:",
        IMSSS_NS: "imsss:",
    },
)


def manifest_schema() -> etree.XMLSchema:
    """Compiled once per process from the wrapper importing every namespace of the set."""
    return SCHEMA_SET.schema


def schema_issues(manifest: etree._ElementTree) -> list[SchemaIssue]:
    """Every XSD violation of a SCORM 2004 manifest with its line; empty when it is schema-valid."""
    return SCHEMA_SET.issues(manifest)
