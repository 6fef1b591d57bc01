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

from pathlib import Path

from lxml import etree

from courseware.packaged import resource_dir
from scorm_builder.xsd import SchemaIssue, SchemaSet

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

SCHEMA_SET = SchemaSet(
    SCHEMA_DIR,
    SCHEMA_FILES,
    wrapper=f"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <xsd:import namespace="{IMSCP_NS}" schemaLocation="{_IMSCP_XSD}"/>
  <xsd:import namespace="{ADLCP_NS}" schemaLocation="{_ADLCP_XSD}"/>
  <xsd:import namespace="{IMSMD_NS}" schemaLocation="{_IMSMD_XSD}"/>
</xsd:schema>""",
    readable_namespaces={IMSCP_NS: "", ADLCP_NS: "adlcp:", IMSMD_NS: "imsmd:"},
    text_patches={
        _XML_XSD: (b' xmlns="http://www.w3.org/XML/1998/namespace"', b""),
        _IMSMD_XSD: (b'namespace="##any"', b'namespace="##other"'),
    },
)


def manifest_schema() -> etree.XMLSchema:
    """Compiled once per process: a wrapper importing imscp, adlcp and imsmd, so manifests using all
    three namespaces validate."""
    return SCHEMA_SET.schema


def schema_issues(manifest: etree._ElementTree) -> list[SchemaIssue]:
    """Every XSD violation in the manifest with its line; empty when it is schema-valid."""
    return SCHEMA_SET.issues(manifest)


def schema_errors(manifest: etree._ElementTree) -> list[str]:
    """Every XSD violation as ``line N: message``; empty when the manifest is schema-valid."""
    return [f"line {issue.line}: {issue.message}" for issue in schema_issues(manifest)]
