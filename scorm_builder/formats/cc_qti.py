"""The knowledge check as a Common Cartridge assessment: QTI 1.2.1 in the CC profile.

Resource type `imsqti_xmlv1p2/imscc_xmlv1p3/assessment`; the assessment carries the CC metadata
(`cc_profile` cc.exam.v0p1, percentage score, attempts) and each item is `cc.multiple_choice.v0p1`:
one `response_lid` with the four options, `SCORE` 100 for the right one, every option's rationale
as its own `itemfeedback` and the item's rationale as general feedback (what Canvas and Moodle
show after an answer). Items keep their option order: rationales may refer to positions.
"""

from __future__ import annotations

from functools import partial

from lxml import etree

from courseware.model import CourseContent, Item
from scorm_builder.banks.text import (
    general_feedback_html,
    option_feedback_html,
    option_html,
    stem_html,
)
from scorm_builder.layout import knowledge_check_blueprint
from scorm_builder.xmltree import XSI, element

QTI = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
SCHEMA_LOCATION = f"{QTI} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_qtiasiv1p2p1_v1p0.xsd"
RESOURCE_TYPE = "imsqti_xmlv1p2/imscc_xmlv1p3/assessment"
LETTERS = "ABCD"


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


_sub = partial(element, ns=QTI)


def _metadata(parent: etree._Element, fields: list[tuple[str, str]]) -> None:
    metadata = _sub(parent, "qtimetadata")
    for label, entry in fields:
        field = _sub(metadata, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _html(parent: etree._Element, html: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html, texttype="text/html")


def _feedback(item_element: etree._Element, ident: str, html: str) -> None:
    feedback = _sub(item_element, "itemfeedback", ident=ident)
    _html(_sub(feedback, "flow_mat"), html)


def _item(section: etree._Element, item: Item) -> None:
    element = _sub(section, "item", ident=item.id, title=item.id)
    _metadata(
        _sub(element, "itemmetadata"),
        [("cc_profile", "cc.multiple_choice.v0p1"), ("cc_weighting", "1")],
    )
    presentation = _sub(element, "presentation")
    _html(presentation, stem_html(item))
    choices = _sub(
        _sub(presentation, "response_lid", ident="response1", rcardinality="Single"), "render_choice"
    )
    for index in range(len(item.options)):
        _html(_sub(choices, "response_label", ident=LETTERS[index]), option_html(item, index))
    processing = _sub(element, "resprocessing")
    _sub(
        _sub(processing, "outcomes"),
        "decvar",
        varname="SCORE",
        vartype="Decimal",
        minvalue="0",
        maxvalue="100",
    )
    general = _sub(processing, "respcondition", **{"continue": "Yes"})
    _sub(_sub(general, "conditionvar"), "other")
    _sub(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    for index, option in enumerate(item.options):
        if option.rationale:
            condition = _sub(processing, "respcondition", **{"continue": "Yes"})
            _sub(_sub(condition, "conditionvar"), "varequal", LETTERS[index], respident="response1")
            _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=f"{LETTERS[index]}_fb")
    correct = _sub(processing, "respcondition", **{"continue": "No"})
    _sub(_sub(correct, "conditionvar"), "varequal", LETTERS[item.answer_index], respident="response1")
    _sub(correct, "setvar", "100", action="Set", varname="SCORE")
    _feedback(element, "general_fb", general_feedback_html(item))
    for index in range(len(item.options)):
        if item.options[index].rationale:
            _feedback(element, f"{LETTERS[index]}_fb", option_feedback_html(item, index))


def assessment_xml(content: CourseContent) -> bytes:
    check = knowledge_check_blueprint(content)
    root = etree.Element(_q("questestinterop"), nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    assessment = _sub(root, "assessment", ident=check.id, title=check.title)
    _metadata(
        assessment,
        [
            ("cc_profile", "cc.exam.v0p1"),
            ("qmd_assessmenttype", "Examination"),
            ("qmd_scoretype", "Percentage"),
            ("cc_maxattempts", "unlimited"),
        ],
    )
    section = _sub(assessment, "section", ident="root_section")
    by_id = {item.id: item for item in content.chapter_items}
    for item_id in check.items:
        _item(section, by_id[item_id])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
