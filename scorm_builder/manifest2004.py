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
from functools import partial

from lxml import etree

from courseware.model import Course
from scorm_builder import cp
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.schema2004 import ADLCP_NS, ADLNAV_NS, ADLSEQ_NS, IMSCP_NS, IMSSS_NS, SCHEMA_LOCATIONS
from scorm_builder.xmltree import XSI, element

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

_el = partial(element, ns=IMSCP_NS)


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
    root, _ = cp.manifest_root(
        layout, course, nsmap=NSMAP, schema_location=SCHEMA_LOCATION, schema_version=SCHEMA_VERSION
    )
    organization = cp.add_organization(root, layout, ns=IMSCP_NS, describe_item=_item_sequencing)
    organization.set(f"{{{ADLSEQ_NS}}}objectivesGlobalToSystem", "false")
    _organization_sequencing(organization)
    scorm_type = f"{{{ADLCP_NS}}}scormType"
    cp.add_resources(root, layout, sco_files, common_files, ns=IMSCP_NS, scorm_type=scorm_type)

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
