"""Moodle XML: Question bank > Import > "Moodle XML format".

One `<question type="category">` per objective (`$course$/top/<chapter>/<objective>`), followed by
that objective's items as single-answer `multichoice` questions: every option with its rationale as
feedback, the item's rationale as general feedback, the id as `idnumber`, difficulty and pool as
tags. Options keep their order (`shuffleanswers` 0): rationales may refer to them by position.
Moodle publishes no XSD for this format; the tests parse the file back and compare it with the items.
"""

from __future__ import annotations

from lxml import etree

from scorm_builder.banks import Bank, BankFormat, BankItem, Category, moodle_category_path, register
from scorm_builder.banks.text import (
    general_feedback_html,
    inline,
    option_feedback_html,
    option_html,
    stem_html,
)


def _text(parent: etree._Element, tag: str, value: str, fmt: str | None = "html") -> etree._Element:
    element = etree.SubElement(parent, tag, {"format": fmt} if fmt else {})
    etree.SubElement(element, "text").text = value
    return element


def _category(quiz: etree._Element, category: Category) -> None:
    question = etree.SubElement(quiz, "question", type="category")
    _text(question, "category", moodle_category_path(category.path), fmt=None)
    _text(question, "info", f"<p>{inline(category.objective.purpose)}</p>")
    etree.SubElement(question, "idnumber").text = category.objective.id


def _question(quiz: etree._Element, entry: BankItem) -> None:
    item = entry.item
    question = etree.SubElement(quiz, "question", type="multichoice")
    _text(question, "name", item.id, fmt=None)
    _text(question, "questiontext", stem_html(item))
    _text(question, "generalfeedback", general_feedback_html(item))
    for tag, value in (
        ("defaultgrade", "1"),
        ("penalty", "0.3333333"),
        ("hidden", "0"),
        ("idnumber", item.id),
        ("single", "true"),
        ("shuffleanswers", "0"),
        ("answernumbering", "ABCD"),
        ("showstandardinstruction", "0"),
    ):
        etree.SubElement(question, tag).text = value
    for index, option in enumerate(item.options):
        answer = _text(question, "answer", option_html(item, index))
        answer.set("fraction", "100" if option.correct else "0")
        _text(answer, "feedback", option_feedback_html(item, index))
    tags = etree.SubElement(question, "tags")
    for tag in entry.tags:
        _text(tags, "tag", tag, fmt=None)


def export(bank: Bank) -> bytes:
    quiz = etree.Element("quiz")
    for category in bank.categories:
        _category(quiz, category)
        for entry in category.items:
            _question(quiz, entry)
    return etree.tostring(quiz, xml_declaration=True, encoding="UTF-8", pretty_print=True)


FORMAT = register(
    BankFormat(
        name="moodle-xml",
        summary="Moodle XML (Question bank > Import), one category per objective",
        suffix=".xml",
        export=export,
    )
)
