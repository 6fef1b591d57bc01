"""imsmanifest.xml for SCORM 1.2 (IMS CP 1.1.2 + ADL CP), built with lxml.

Moodle's SCORM parser matches the `adlcp:` prefix literally, so the prefix is fixed here; no
`xml:base` is used, and every file a resource needs is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from lxml import etree

from courseware.model import Course
from scorm_builder import cp
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.xmltree import XSI, element

IMSCP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"
XML_NS = "http://www.w3.org/XML/1998/namespace"
NSMAP = {None: IMSCP, "adlcp": ADLCP, "imsmd": IMSMD, "xsi": XSI}
SCHEMA_LOCATION = " ".join(
    [
        f"{IMSCP} imscp_rootv1p1p2.xsd",
        f"{IMSMD} imsmd_rootv1p2p1.xsd",
        f"{ADLCP} adlcp_rootv1p2.xsd",
    ]
)

_el = partial(element, ns=IMSCP)


def _langstring(parent: etree._Element, tag: str, text: str, language: str) -> None:
    wrapper = _el(parent, tag, ns=IMSMD)
    _el(wrapper, "langstring", text, ns=IMSMD).set(f"{{{XML_NS}}}lang", language)


def _lom(metadata: etree._Element, layout: PackageLayout, course: Course) -> None:
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
    root, metadata = cp.manifest_root(
        layout, course, nsmap=NSMAP, schema_location=SCHEMA_LOCATION, schema_version="1.2"
    )
    _lom(metadata, layout, course)
    cp.add_organization(root, layout, ns=IMSCP, describe_item=_mastery_score)
    cp.add_resources(root, layout, sco_files, common_files, ns=IMSCP, scorm_type=f"{{{ADLCP}}}scormtype")

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _mastery_score(item: etree._Element, sco: Sco) -> None:
    if sco.mastery_score is not None:
        _el(item, "masteryscore", str(sco.mastery_score), ns=ADLCP)
