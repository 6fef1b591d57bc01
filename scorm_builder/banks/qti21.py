"""IMS QTI 2.1: a content package (zip) of one assessmentItem per item and one assessmentTest.

The test has one `assessmentSection` per objective (the category), and each item reference lists
the item's tags (difficulty, pool) in its `category` attribute; the manifest repeats them as LOM
keywords on each item's resource. Each item is a single-cardinality `choiceInteraction` whose
response processing sets `FEEDBACK` to the chosen option, so every option's rationale is a
`modalFeedback`, and the item's rationale is shown whatever was chosen. Every item and the test are
checked against the IMS QTI 2.1 XSD, the manifest against IMS CP 1.1.4 and LOM, before anything is
written (`scorm_builder/schemas/qti21/`, see SOURCES.md there).
"""

from __future__ import annotations

from functools import partial

from lxml import etree

from scorm_builder import xmltree
from scorm_builder.banks import Bank, BankFormat, BankItem, register
from scorm_builder.banks.qti_schema import manifest_errors, qti21_errors
from scorm_builder.banks.text import general_feedback_html, option_feedback_html, option_html, stem_html
from scorm_builder.output import zip_bytes
from scorm_builder.package import BuildError
from scorm_builder.xmltree import XSI

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_LOCATION = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
IMSCP = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/LOM"
IMSCP_LOCATION = f"{IMSCP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd {LOM} http://www.imsglobal.org/xsd/imsmd_loose_v1p3p2.xsd"
LETTERS = "ABCD"
RATIONALE = "RATIONALE"


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


_sub = partial(xmltree.element, ns=QTI)


def _html_into(parent: etree._Element, html: str) -> etree._Element:
    """Append rendered HTML (well-formed: markdown-it escapes text) as QTI XHTML elements."""
    fragment = etree.fromstring(f"<wrapper>{html}</wrapper>")
    parent.text = (parent.text or "") + (fragment.text or "")
    for child in fragment:
        parent.append(child)
    for element in parent.iter():
        if isinstance(element.tag, str) and not element.tag.startswith("{"):
            element.tag = _q(element.tag)
    return parent


def _set_outcome(parent: etree._Element, identifier: str, base_type: str, value: str) -> None:
    set_value = _sub(parent, "setOutcomeValue", identifier=identifier)
    _sub(set_value, "baseValue", baseType=base_type).text = value


def item_xml(entry: BankItem) -> bytes:
    item = entry.item
    root = etree.Element(_q("assessmentItem"), nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", QTI_LOCATION)
    for name, value in (
        ("identifier", item.id),
        ("title", item.id),
        ("adaptive", "false"),
        ("timeDependent", "false"),
    ):
        root.set(name, value)
    response = _sub(root, "responseDeclaration", identifier="RESPONSE", cardinality="single")
    response.set("baseType", "identifier")
    _sub(_sub(response, "correctResponse"), "value").text = LETTERS[item.answer_index]
    score = _sub(root, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    _sub(_sub(score, "defaultValue"), "value").text = "0"
    for identifier in ("FEEDBACK", RATIONALE):
        _sub(root, "outcomeDeclaration", identifier=identifier, cardinality="single", baseType="identifier")
    body = _sub(root, "itemBody")
    _html_into(_sub(body, "div", **{"class": "stem"}), stem_html(item))
    interaction = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false")
    interaction.set("maxChoices", "1")
    for index in range(len(item.options)):
        _html_into(_sub(interaction, "simpleChoice", identifier=LETTERS[index]), option_html(item, index))
    processing = _sub(root, "responseProcessing")
    condition = _sub(processing, "responseCondition")
    match = _sub(_sub(condition, "responseIf"), "match")
    _sub(match, "variable", identifier="RESPONSE")
    _sub(match, "correct", identifier="RESPONSE")
    _set_outcome(condition[0], "SCORE", "float", "1")
    _set_outcome(_sub(condition, "responseElse"), "SCORE", "float", "0")
    _sub(_sub(processing, "setOutcomeValue", identifier="FEEDBACK"), "variable", identifier="RESPONSE")
    _set_outcome(processing, RATIONALE, "identifier", RATIONALE)
    for index in range(len(item.options)):
        feedback = option_feedback_html(item, index)
        if feedback:
            modal = _sub(root, "modalFeedback", outcomeIdentifier="FEEDBACK", showHide="show")
            modal.set("identifier", LETTERS[index])
            _html_into(modal, feedback)
    modal = _sub(root, "modalFeedback", outcomeIdentifier=RATIONALE, identifier=RATIONALE, showHide="show")
    _html_into(modal, general_feedback_html(item))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def item_href(entry: BankItem) -> str:
    return f"items/{entry.item.id}.xml"


def assessment_test_xml(bank: Bank) -> bytes:
    root = etree.Element(_q("assessmentTest"), nsmap={None: QTI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", QTI_LOCATION)
    root.set("identifier", "question-bank")
    root.set("title", bank.title)
    part = _sub(root, "testPart", identifier="bank", navigationMode="nonlinear", submissionMode="individual")
    for category in bank.categories:
        section = _sub(part, "assessmentSection", identifier=category.objective.id, visible="true")
        section.set("title", category.objective.title)
        for entry in category.items:
            reference = _sub(section, "assessmentItemRef", identifier=entry.item.id, href=item_href(entry))
            reference.set("category", " ".join(entry.tags))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _keywords(resource: etree._Element, words: list[str]) -> None:
    general = etree.SubElement(
        etree.SubElement(etree.SubElement(resource, f"{{{IMSCP}}}metadata"), f"{{{LOM}}}lom"),
        f"{{{LOM}}}general",
    )
    for word in words:
        keyword = etree.SubElement(general, f"{{{LOM}}}keyword")
        etree.SubElement(keyword, f"{{{LOM}}}string").text = word


def manifest_xml(bank: Bank) -> bytes:
    root = etree.Element(f"{{{IMSCP}}}manifest", nsmap={None: IMSCP, "lom": LOM, "xsi": XSI})
    root.set("identifier", "question-bank-manifest")
    root.set(f"{{{XSI}}}schemaLocation", IMSCP_LOCATION)
    metadata = etree.SubElement(root, f"{{{IMSCP}}}metadata")
    etree.SubElement(metadata, f"{{{IMSCP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(metadata, f"{{{IMSCP}}}schemaversion").text = "1.0.0"
    etree.SubElement(root, f"{{{IMSCP}}}organizations")
    resources = etree.SubElement(root, f"{{{IMSCP}}}resources")
    test = etree.SubElement(
        resources,
        f"{{{IMSCP}}}resource",
        identifier="res-test",
        type="imsqti_test_xmlv2p1",
        href="assessment.xml",
    )
    etree.SubElement(test, f"{{{IMSCP}}}file", href="assessment.xml")
    for entry in bank.items:
        etree.SubElement(test, f"{{{IMSCP}}}dependency", identifierref=f"res-{entry.item.id}")
    for category in bank.categories:
        for entry in category.items:
            resource = etree.SubElement(resources, f"{{{IMSCP}}}resource", identifier=f"res-{entry.item.id}")
            resource.set("type", "imsqti_item_xmlv2p1")
            resource.set("href", item_href(entry))
            _keywords(resource, [category.objective.id, *entry.tags])
            etree.SubElement(resource, f"{{{IMSCP}}}file", href=item_href(entry))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package_files(bank: Bank) -> dict[str, bytes]:
    files = {"imsmanifest.xml": manifest_xml(bank), "assessment.xml": assessment_test_xml(bank)}
    for entry in bank.items:
        files[item_href(entry)] = item_xml(entry)
    return files


def export(bank: Bank) -> bytes:
    """The zip, after every item and the test passed the QTI 2.1 XSD (else BuildError, nothing written)."""
    files = package_files(bank)
    for name, data in sorted(files.items()):
        check = manifest_errors if name == "imsmanifest.xml" else qti21_errors
        if errors := check(data):
            details = "\n".join(f"  {name}:{error}" for error in errors)
            raise BuildError(f"{name} is not valid against its IMS schema:\n{details}")
    return zip_bytes(files)


FORMAT = register(
    BankFormat(
        name="qti21",
        summary="IMS QTI 2.1 package (.zip): one section per objective",
        suffix="-qti21.zip",
        export=export,
    )
)
