"""Which SCORM version a manifest is, and what that version's manifest looks like.

The namespace of the root <manifest> decides (IMS CP 1.1.2 for 1.2, IMS CP 1.1 for 2004); a manifest
in neither falls back on its <schemaversion>, so the structural checks still run on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from scorm_builder import schema, schema2004
from scorm_builder.schema import ADLCP_NS, IMSCP_NS

SCORM2004_VERSION = "2004 4th Edition"


@dataclass(frozen=True)
class Version:
    """What a SCORM version's manifest looks like: its namespaces, names and schema set."""

    name: str  # "1.2" or "2004"
    imscp: str
    adlcp: str
    scormtype: str  # the attribute's local name (1.2 spells it in lower case)
    schemaversion: str
    schema_issues: Callable[[etree._ElementTree], list[schema.SchemaIssue]]


SCORM12 = Version("1.2", IMSCP_NS, ADLCP_NS, "scormtype", "1.2", schema.schema_issues)
SCORM2004 = Version(
    "2004", schema2004.IMSCP_NS, schema2004.ADLCP_NS, "scormType", SCORM2004_VERSION, schema2004.schema_issues
)


def detect_version(tree: etree._ElementTree) -> Version:
    """2004 when the root is in IMS CP 1.1's namespace or <schemaversion> says 2004 / CAM 1.3; else 1.2."""
    root = tree.getroot()
    if etree.QName(root).namespace == SCORM2004.imscp:
        return SCORM2004
    if etree.QName(root).namespace == SCORM12.imscp:
        return SCORM12
    for el in root.iter(etree.Element):
        if etree.QName(el).localname == "schemaversion":
            text = (el.text or "").strip()
            return SCORM2004 if says_2004(text) else SCORM12
    return SCORM12


def says_2004(schemaversion: str) -> bool:
    return schemaversion.startswith("2004") or schemaversion == "CAM 1.3"
