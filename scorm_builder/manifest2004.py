"""imsmanifest.xml for SCORM 2004 4th Edition (IMS CP 1.1 + ADL CP/SEQ/NAV 1.3 + IMS SS), built with lxml.

Simple sequencing, the same for every layout:
  * the organization allows flow (Continue/Previous) and choice (the LMS's table of contents);
  * a graded SCO declares its primary objective (the knowledge check) and one objective per course
    objective its questions test (ids from objectives.yaml), the ids the SCO writes to
    cmi.objectives.n.id; it sets its own success (satisfiedByMeasure stays false: the SCO applies
    the pass rule computed at build time, not the LMS with a rounded normalized measure);
  * page SCOs do not contribute to satisfaction (rollupObjectiveSatisfied="false"), so the course is
    satisfied exactly when the knowledge check is, and completed when every SCO is (rollup rules on
    the organization spell both out).
Prefixes are fixed (adlcp, adlseq, adlnav, imsss) as LMS parsers tend to match them literally.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from courseware.model import Course
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.schema2004 import ADLCP_NS, ADLNAV_NS, ADLSEQ_NS, IMSCP_NS, IMSSS_NS, SCHEMA_LOCATIONS

XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {
    None: IMSCP_NS,
    "adlcp": ADLCP_NS,
    "adlseq": ADLSEQ_NS,
    "adlnav": ADLNAV_NS,
    "imsss": IMSSS_NS,
    "xsi": XSI,
}
SCHEMA_LOCATION = " ".join(f"{ns} {xsd}" for ns, xsd in SCHEMA_LOCATIONS.items())
SCHEMA_VERSION = "2004 4th Edition"
COMMON_RESOURCE = "RES-common"


def _el(parent: etree._Element, tag: str, text: str | None = None, ns: str = IMSCP_NS, **attrs: str):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        element.text = text
    return element


def _ss(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return _el(parent, tag, ns=IMSSS_NS, **attrs)


def objective_ids(sco: Sco) -> list[str]:
    """The course objectives a SCO's questions test, in first-seen order (its learner objectives)."""
    return list(dict.fromkeys(quiz.item.objective for quiz in sco.quizzes))


def _rollup_rule(parent: etree._Element, child_set: str, action: str, *conditions: tuple[str, str]) -> None:
    rule = _ss(parent, "rollupRule", childActivitySet=child_set)
    combined = _ss(rule, "rollupConditions", conditionCombination="all")
    for operator, condition in conditions:
        _ss(combined, "rollupCondition", operator=operator, condition=condition)
    _ss(rule, "rollupAction", action=action)


def _organization_sequencing(organization: etree._Element) -> None:
    sequencing = _ss(organization, "sequencing")
    _ss(sequencing, "controlMode", choice="true", flow="true")
    rules = _ss(sequencing, "rollupRules")
    _rollup_rule(rules, "all", "satisfied", ("noOp", "satisfied"))
    _rollup_rule(rules, "any", "notSatisfied", ("noOp", "objectiveStatusKnown"), ("not", "satisfied"))
    _rollup_rule(rules, "all", "completed", ("noOp", "completed"))
    _rollup_rule(rules, "any", "incomplete", ("noOp", "activityProgressKnown"), ("not", "completed"))


def _item_sequencing(item: etree._Element, sco: Sco) -> None:
    sequencing = _ss(item, "sequencing")
    if sco.mastery_score is None:
        _ss(sequencing, "rollupRules", rollupObjectiveSatisfied="false", objectiveMeasureWeight="0")
    else:
        objectives = _ss(sequencing, "objectives")
        _ss(objectives, "primaryObjective", objectiveID=sco.id)
        for objective in objective_ids(sco):
            _ss(objectives, "objective", objectiveID=objective)
    _ss(sequencing, "deliveryControls", completionSetByContent="true", objectiveSetByContent="true")


def build_manifest(
    layout: PackageLayout, course: Course, sco_files: dict[str, list[str]], common_files: Iterable[str]
) -> bytes:
    """The manifest: one organization with its sequencing, an item per SCO, a resource per SCO and one
    shared asset resource."""
    root = etree.Element(f"{{{IMSCP_NS}}}manifest", nsmap=NSMAP)
    root.set("identifier", layout.identifier)
    root.set("version", course.version)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    metadata = _el(root, "metadata")
    _el(metadata, "schema", "ADL SCORM")
    _el(metadata, "schemaversion", SCHEMA_VERSION)

    organizations = _el(root, "organizations", default="ORG-1")
    organization = _el(organizations, "organization", identifier="ORG-1")
    organization.set(f"{{{ADLSEQ_NS}}}objectivesGlobalToSystem", "false")
    _el(organization, "title", layout.title)
    for sco in layout.scos:
        item = _el(
            organization, "item", identifier=f"ITEM-{sco.id}", identifierref=f"RES-{sco.id}", isvisible="true"
        )
        _el(item, "title", sco.title)
        _item_sequencing(item, sco)
    _organization_sequencing(organization)

    resources = _el(root, "resources")
    for sco in layout.scos:
        resource = _el(
            resources, "resource", identifier=f"RES-{sco.id}", type="webcontent", href=sco.filename
        )
        resource.set(f"{{{ADLCP_NS}}}scormType", "sco")
        for path in sco_files[sco.id]:
            _el(resource, "file", href=path)
        _el(resource, "dependency", identifierref=COMMON_RESOURCE)
    common = _el(resources, "resource", identifier=COMMON_RESOURCE, type="webcontent")
    common.set(f"{{{ADLCP_NS}}}scormType", "asset")
    for path in common_files:
        _el(common, "file", href=path)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
