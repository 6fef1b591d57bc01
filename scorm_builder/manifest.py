"""imsmanifest.xml for SCORM 1.2 (IMS CP 1.1.2 + ADL CP), built with lxml.

Moodle's SCORM parser matches the `adlcp:` prefix literally, so the prefix is fixed here; no
`xml:base` is used, and every file a resource needs is listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from courseware.model import Course
from scorm_builder.layout import PackageLayout

IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: IMSCP, "adlcp": ADLCP, "imsmd": IMSMD, "xsi": XSI}
SCHEMA_LOCATION = " ".join(
    [
        f"{IMSCP} imscp_rootv1p1p2.xsd",
        f"{IMSMD} imsmd_rootv1p2p1.xsd",
        f"{ADLCP} adlcp_rootv1p2.xsd",
    ]
)
COMMON_RESOURCE = "RES-common"


def _el(parent: etree._Element, tag: str, text: str | None = None, ns: str = IMSCP, **attrs: str):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _langstring(parent: etree._Element, tag: str, text: str, language: str) -> None:
    wrapper = _el(parent, tag, ns=IMSMD)
    _el(wrapper, "langstring", text, ns=IMSMD).set(f"{{{XML_NS}}}lang", language)


def _metadata(root: etree._Element, layout: PackageLayout, course: Course) -> None:
    metadata = _el(root, "metadata")
    _el(metadata, "schema", "ADL SCORM")
    _el(metadata, "schemaversion", "1.2")
    lom = _el(metadata, "lom", ns=IMSMD)
    general = _el(lom, "general", ns=IMSMD)
    _langstring(general, "title", layout.title, course.language)
    _el(general, "language", course.language, ns=IMSMD)
    _langstring(general, "description", layout.description, course.language)
    lifecycle = _el(lom, "lifecycle", ns=IMSMD)
    _langstring(lifecycle, "version", course.version, course.language)


def build_manifest(
    layout: PackageLayout, course: Course, sco_files: dict[str, list[str]], common_files: Iterable[str]
) -> bytes:
    """The manifest: one organization, an item per SCO, a resource per SCO and one shared asset."""
    root = etree.Element(f"{{{IMSCP}}}manifest", nsmap=NSMAP)
    root.set("identifier", layout.identifier)
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    _metadata(root, layout, course)

    organizations = _el(root, "organizations", default="ORG-1")
    organization = _el(organizations, "organization", identifier="ORG-1")
    _el(organization, "title", layout.title)
    for sco in layout.scos:
        # isvisible="true" is the spec's default, but Open edX's SCORM player keeps only items that say so.
        item = _el(
            organization,
            "item",
            identifier=f"ITEM-{sco.id}",
            identifierref=f"RES-{sco.id}",
            isvisible="true",
        )
        _el(item, "title", sco.title)
        if sco.mastery_score is not None:
            _el(item, "masteryscore", str(sco.mastery_score), ns=ADLCP)

    resources = _el(root, "resources")
    for sco in layout.scos:
        resource = _el(
            resources, "resource", identifier=f"RES-{sco.id}", type="webcontent", href=sco.filename
        )
        resource.set(f"{{{ADLCP}}}scormtype", "sco")
        for path in sco_files[sco.id]:
            _el(resource, "file", href=path)
        _el(resource, "dependency", identifierref=COMMON_RESOURCE)
    common = _el(resources, "resource", identifier=COMMON_RESOURCE, type="webcontent")
    common.set(f"{{{ADLCP}}}scormtype", "asset")
    for path in common_files:
        _el(common, "file", href=path)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
