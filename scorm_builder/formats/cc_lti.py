"""The cartridge's LTI links: the diagnostic, the mock exam, the spaced review.

Resource type `imsbasiclti_xmlv1p3`, the only LTI term of the CC 1.3 resource type vocabulary
(IMS's ccresourcetypevocabularyv1p3), and the one Moodle's CC 1.3 importer looks for (Canvas takes
any `imsbasiclti*`). The link file is the `cartridge_basiclti_link` of IMS LTI CC 1.0.1
(`imslticc_v1p0` namespace): it is what both importers read (Moodle queries that namespace for 1.1 and
1.3 cartridges alike) and what the vendored schema checks; CC 1.3's own link schema
(`imslticc_v1p3`) only adds optional metadata and is not vendored (schemas/cc13/SOURCES.md).

Each link launches the Skarp tool at `<tool-url>/lti/launch?assessment=<id>` with the custom
parameter `assessment=<id>` (the tool reads either; see lti_app/services/launches.py). Canvas makes
a graded assignment of an LTI link whose `canvas.instructure.com` extension has an `outcome`
property (its points possible: Canvas's lib/cc/importer/blti_converter.rb,
`create_assignments_from_lti_links`); the points are those of the tool's own line items: one per
question, and 1 for the review's completion. Moodle imports the same links as External tool
activities, and LTI 1.3 tools are matched by launch URL to a tool the site already registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from courseware.model import AssessmentPlan, BlueprintKind, CourseContent
from scorm_builder.xmltree import XSI

DEFAULT_TOOL_URL = "https://skarp.example.com"
"""A placeholder: the README says to build with --tool-url set to the tool's public address."""

LTICC = "http://www.imsglobal.org/xsd/imslticc_v1p0"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
SCHEMA_LOCATION = " ".join(
    f"{ns} http://www.imsglobal.org/xsd/lti/ltiv1p0/{xsd}"
    for ns, xsd in (
        (LTICC, "imslticc_v1p0p1.xsd"),
        (BLTI, "imsbasiclti_v1p0p1.xsd"),
        (LTICM, "imslticm_v1p0.xsd"),
        (LTICP, "imslticp_v1p0.xsd"),
    )
)
CANVAS_PLATFORM = "canvas.instructure.com"
RESOURCE_TYPE = "imsbasiclti_xmlv1p3"
LINKED_KINDS = (BlueprintKind.diagnostic, BlueprintKind.mock_exam, BlueprintKind.review)


class ToolUrlError(ValueError):
    """--tool-url is not an https origin (an LMS launches over TLS, and only to the tool's host)."""


def check_tool_url(url: str) -> str:
    """The tool's base URL without a trailing slash, or ToolUrlError saying what is wrong."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ToolUrlError(f"--tool-url: {url!r} is not a URL ({error})") from None
    if parts.scheme != "https":
        raise ToolUrlError(f"--tool-url: {url!r} must start with https:// (LMSs launch tools over TLS)")
    if not parts.hostname or parts.username or parts.password:
        raise ToolUrlError(f"--tool-url: {url!r} needs a host name and no user name or password")
    if parts.query or parts.fragment:
        raise ToolUrlError(f"--tool-url: {url!r} must be the tool's address, without ? or #")
    if any(char.isspace() for char in url):
        raise ToolUrlError(f"--tool-url: {url!r} contains white space")
    netloc = parts.hostname + (f":{port}" if port else "")
    return f"https://{netloc}{parts.path.rstrip('/')}"


@dataclass(frozen=True)
class LtiLink:
    blueprint: AssessmentPlan
    points: int  # the Canvas assignment's points possible (as the tool's line item)

    @property
    def identifier(self) -> str:
        return f"lti-{self.blueprint.id}"

    @property
    def href(self) -> str:
        return f"lti/{self.blueprint.id}.xml"


def lti_links(content: CourseContent) -> list[LtiLink]:
    return [
        LtiLink(b, 1 if b.kind is BlueprintKind.review else b.item_count)
        for kind in LINKED_KINDS
        for b in content.blueprints
        if b.kind is kind
    ]


def _property(parent: etree._Element, name: str, value: str) -> None:
    etree.SubElement(parent, f"{{{LTICM}}}property", name=name).text = value


def link_xml(link: LtiLink, tool_url: str, content: CourseContent) -> bytes:
    blueprint = link.blueprint
    launch = f"{tool_url}/lti/launch?assessment={blueprint.id}"
    root = etree.Element(
        f"{{{LTICC}}}cartridge_basiclti_link",
        nsmap={None: LTICC, "blti": BLTI, "lticm": LTICM, "lticp": LTICP, "xsi": XSI},
    )
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    etree.SubElement(root, f"{{{BLTI}}}title").text = blueprint.title
    etree.SubElement(root, f"{{{BLTI}}}description").text = blueprint.description
    custom = etree.SubElement(root, f"{{{BLTI}}}custom")
    _property(custom, "assessment", blueprint.id)
    if blueprint.kind is BlueprintKind.review:
        _property(custom, "graded", "true")
    canvas = etree.SubElement(root, f"{{{BLTI}}}extensions", platform=CANVAS_PLATFORM)
    _property(canvas, "outcome", str(link.points))
    _property(canvas, "privacy_level", "public")
    _property(canvas, "domain", urlsplit(tool_url).hostname or "")
    etree.SubElement(root, f"{{{BLTI}}}launch_url").text = launch
    etree.SubElement(root, f"{{{BLTI}}}secure_launch_url").text = launch
    vendor = etree.SubElement(root, f"{{{BLTI}}}vendor")
    etree.SubElement(vendor, f"{{{LTICP}}}code").text = "skarp"
    etree.SubElement(vendor, f"{{{LTICP}}}name").text = content.course.publisher
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
