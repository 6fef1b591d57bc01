"""IMS Common Cartridge 1.3 (`.imscc`): the chapter for LMSs that import cartridges (Canvas, Moodle...).

The cartridge holds:
  * the chapter's pages as web content (`web_resources/chapter/`, one page per part, the same pages
    the multi-SCO package plays; outside a SCORM player they run in preview mode), with their CSS
    and scripts as one shared resource the pages depend on;
  * the knowledge check as a CC QTI 1.2 assessment (`cc_qti.py`);
  * LTI links to the diagnostic, the mock exam and the spaced review, graded assignments in Canvas
    (`cc_lti.py`), launching the tool at --tool-url.

The manifest follows the CC 1.3 profile of IMS CP 1.2 (schema "IMS Common Cartridge", version 1.3.0,
one rooted-hierarchy organization whose top item has no title, every other item titled, no
`isvisible`). Builds are deterministic, and nothing is written unless every LTI link passes its XSD.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from lxml import etree

from courseware.model import CourseContent
from scorm_builder import layout as layouts
from scorm_builder.formats import Format, register
from scorm_builder.formats.cc_lti import DEFAULT_TOOL_URL, ToolUrlError, check_tool_url, link_xml, lti_links
from scorm_builder.formats.cc_lti import RESOURCE_TYPE as LTI_RESOURCE_TYPE
from scorm_builder.formats.cc_qti import RESOURCE_TYPE as QTI_RESOURCE_TYPE
from scorm_builder.formats.cc_qti import assessment_xml
from scorm_builder.formats.cc_schema import lti_link_errors
from scorm_builder.layout import PackageLayout, knowledge_check_blueprint
from scorm_builder.output import write_reported, zip_bytes
from scorm_builder.package import BuildError, package_files
from scorm_builder.schema import SCHEMA_FILES
from scorm_builder.xmltree import XSI, element

CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOMM = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
LOMR = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/resource"
PROFILE = "http://www.imsglobal.org/profile/cc/ccv1p3"
SCHEMA_LOCATION = (
    f"{CP} {PROFILE}/ccv1p3_imscp_v1p2_v1p0.xsd "
    f"{LOMM} {PROFILE}/LOM/ccv1p3_lommanifest_v1p0.xsd "
    f"{LOMR} {PROFILE}/LOM/ccv1p3_lomresource_v1p0.xsd"
)
WEB = "web_resources/chapter"  # Canvas files what is under web_resources/ at the course's root
ASSETS_ID = "res-chapter-assets"
QTI_HREF = "knowledge-check/assessment.xml"


@dataclass(frozen=True)
class BuiltCartridge:
    path: Path
    size: int


def chapter_pages(content: CourseContent) -> tuple[PackageLayout, dict[str, bytes]]:
    """The multi-SCO pages minus the knowledge check (the cartridge has it as QTI) and SCORM's files."""
    multi = layouts.multi_sco(content)
    check = knowledge_check_blueprint(content).id
    pages = PackageLayout(
        name=multi.name,
        identifier=multi.identifier,
        title=multi.title,
        description=multi.description,
        scos=tuple(sco for sco in multi.scos if sco.id != check),
        tracking=multi.tracking,
    )
    skip = {"imsmanifest.xml", *(schema.name for schema in SCHEMA_FILES)}
    files = {name: data for name, data in package_files(pages, content).items() if name not in skip}
    return pages, files


_el = partial(element, ns=CP)


def _metadata(root: etree._Element, content: CourseContent) -> None:
    metadata = _el(root, "metadata")
    _el(metadata, "schema", "IMS Common Cartridge")
    _el(metadata, "schemaversion", "1.3.0")
    general = etree.SubElement(etree.SubElement(metadata, f"{{{LOMM}}}lom"), f"{{{LOMM}}}general")
    for tag, text in (("title", content.course.chapter_title), ("description", content.course.description)):
        element = etree.SubElement(general, f"{{{LOMM}}}{tag}")
        etree.SubElement(element, f"{{{LOMM}}}string", language=content.course.language).text = text
    language = etree.SubElement(general, f"{{{LOMM}}}language")
    language.text = content.course.language


def _item(parent: etree._Element, identifier: str, title: str, ref: str | None = None) -> etree._Element:
    item = _el(parent, "item", identifier=identifier, **({"identifierref": ref} if ref else {}))
    _el(item, "title", title)
    return item


def manifest_xml(content: CourseContent, pages: PackageLayout, files: dict[str, bytes]) -> bytes:
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "lomimscc": LOMM, "lom": LOMR, "xsi": XSI})
    root.set("identifier", f"{content.course.identifier}.cc")
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    _metadata(root, content)
    organization = _el(
        _el(root, "organizations"), "organization", identifier="org", structure="rooted-hierarchy"
    )
    top = _el(organization, "item", identifier="root")
    chapter = _item(top, "module-chapter", content.course.chapter_title)
    for sco in pages.scos:
        _item(chapter, f"item-{sco.id}", sco.title, f"res-{sco.id}")
    check = knowledge_check_blueprint(content)
    _item(chapter, f"item-{check.id}", check.title, f"res-{check.id}")
    activities = _item(top, "module-assessments", "Diagnostic, mock exam and spaced review")
    for link in lti_links(content):
        _item(activities, f"item-{link.blueprint.id}", link.blueprint.title, link.identifier)
    resources = _el(root, "resources")
    for sco in pages.scos:
        href = f"{WEB}/{sco.filename}"
        resource = _el(resources, "resource", identifier=f"res-{sco.id}", type="webcontent", href=href)
        _el(resource, "file", href=href)
        _el(resource, "dependency", identifierref=ASSETS_ID)
    assets = _el(resources, "resource", identifier=ASSETS_ID, type="webcontent")
    for name in sorted(name for name in files if not name.endswith(".html")):
        _el(assets, "file", href=f"{WEB}/{name}")
    qti = _el(resources, "resource", identifier=f"res-{check.id}", type=QTI_RESOURCE_TYPE)
    _el(qti, "file", href=QTI_HREF)
    for link in lti_links(content):
        lti = _el(resources, "resource", identifier=link.identifier, type=LTI_RESOURCE_TYPE)
        _el(lti, "file", href=link.href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def cartridge_files(content: CourseContent, tool_url: str = DEFAULT_TOOL_URL) -> dict[str, bytes]:
    """Every file of the cartridge by its path; BuildError if the tool URL or an LTI link is bad."""
    try:
        base = check_tool_url(tool_url)
    except ToolUrlError as error:
        raise BuildError(str(error)) from None
    pages, page_files = chapter_pages(content)
    files = {f"{WEB}/{name}": data for name, data in page_files.items()}
    files[QTI_HREF] = assessment_xml(content)
    for link in lti_links(content):
        files[link.href] = link_xml(link, base, content)
        if errors := lti_link_errors(files[link.href]):
            raise BuildError(f"{link.href} is not a valid LTI link:\n" + "\n".join(f"  {e}" for e in errors))
    files["imsmanifest.xml"] = manifest_xml(content, pages, page_files)
    return files


def cartridge_name(content: CourseContent) -> str:
    return f"{layouts.single_sco(content).name}.imscc"


def build_cartridge(
    content: CourseContent,
    out_dir: Path,
    *,
    multi_sco: bool = False,
    progress: Callable[[str], None] = lambda message: None,
    tool_url: str = DEFAULT_TOOL_URL,
) -> list[BuiltCartridge]:
    """Build the cartridge (a cartridge always has one page per part, so multi_sco changes nothing)."""
    progress(f"rendering the Common Cartridge (LTI links to {tool_url})")
    data = zip_bytes(cartridge_files(content, tool_url))
    path = out_dir / cartridge_name(content)
    return [BuiltCartridge(path, write_reported(path, data, progress))]


FORMAT = register(
    Format(
        name="cc",
        summary="IMS Common Cartridge 1.3 (.imscc): pages, knowledge check as QTI, links to the LTI tool",
        build=build_cartridge,
    )
)
