"""Question-bank exports (`scorm-builder export-items`): what an LMS imports, read back by parsers.

GIFT is parsed by gift-pegjs (npm, a grammar nobody here wrote), QTI 2.1 is validated against the
IMS XSD, Moodle XML (no official XSD) is parsed with lxml and checked element by element. Each
export is read back and compared with the source items: stems, options, the correct answer, every
rationale, categories and tags.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree, html

from courseware import CourseContent, load_content
from courseware.markup import markdown_inline
from courseware.model import Item, Pool
from scorm_builder.banks import build_bank, secure_pools
from scorm_builder.banks.qti_schema import manifest_errors, qti21_errors
from scorm_builder.cli import main

from .conftest import CONTENT_DIR, ROOT

GIFT_PARSER = ROOT / "node_modules" / "gift-pegjs" / "pegjs-gift.js"
QTI = {"q": "http://www.imsglobal.org/xsd/imsqti_v2p1"}
SPECIAL = r"Pick {one} ~ not = this # or : that \ (a=b)"


def inline(text: str | None) -> str:
    """The renderer's one-line HTML; an option without a rationale has empty feedback."""
    return str(markdown_inline(text)).replace("\n", " ") if text else ""


def expected_stem(item: Item) -> str:
    """Computed from the source with the course's own Markdown renderer, not the exporter's helpers."""
    statements = "".join(f"<li>{inline(s)}</li>" for s in item.statements)
    return f"<p>{inline(item.stem)}</p>" + (f"<ol>{statements}</ol>" if statements else "")


def exported_items(content: CourseContent, include_mock: bool = False) -> list[Item]:
    pools = {Pool.chapter, Pool.open} | ({Pool.mock} if include_mock else set())
    return [item for item in content.all_items() if item.pool in pools]


def export(args: list[str], tmp_path: Path, name: str) -> tuple[Path, str]:
    target = tmp_path / name
    result = CliRunner().invoke(main, ["export-items", *args, "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target, result.output


@pytest.fixture(scope="module")
def special_content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course with GIFT's special characters in a stem, an option, a rationale and a category."""
    folder = tmp_path_factory.mktemp("content") / "content"
    shutil.copytree(CONTENT_DIR, folder)
    plan = folder / "items" / "plan.yaml"
    text = plan.read_text()
    assert text.count("    stem: >-\n") > 1
    text = text.replace("    stem: >-\n", f"    stem: >-\n      {SPECIAL}\n", 1)
    text = text.replace("      - text: Engage\n", f"      - text: '{SPECIAL}'\n", 1)
    text = text.replace("Engage is about understanding", f"{SPECIAL} Engage is about understanding", 1)
    plan.write_text(text)
    objectives = folder / "objectives.yaml"
    objectives.write_text(
        objectives.read_text().replace("title: Plan\n", "title: 'Plan {#1}: ~=strategy'\n", 1)
    )
    return folder


# --- selection ------------------------------------------------------------------------------


def test_the_mock_pool_is_the_only_secured_pool(content):
    assert secure_pools(content) == {Pool.mock}


def test_the_bank_holds_the_knowledge_check_and_the_open_pool_by_objective(content):
    bank = build_bank(content)
    ids = [entry.item.id for entry in bank.items]
    assert sorted(ids) == sorted(item.id for item in exported_items(content))
    assert {"quiz-1", "quiz-2"} <= set(ids)
    assert not any(item.pool is Pool.mock and item.id in ids for item in content.items)
    assert [c.objective.id for c in bank.categories] == [o.id for o in content.objectives]
    for category in bank.categories:
        assert {entry.item.objective for entry in category.items} == {category.objective.id}


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift", "qti21"])
def test_mock_items_only_with_the_flag_and_a_warning(content, tmp_path, fmt):
    mock_ids = [item.id for item in content.items if item.pool is Pool.mock]
    plain, output = export(["--format", fmt], tmp_path, "plain.bank")
    assert "warning" not in output
    secured, output = export(["--format", fmt, "--include-secure-pools"], tmp_path, "secured.bank")
    assert f"warning: --include-secure-pools exports {len(mock_ids)} secured item(s) (pool mock)" in output
    plain_text, secured_text = _all_text(plain), _all_text(secured)
    assert not any(item_id in plain_text for item_id in mock_ids)
    assert all(item_id in secured_text for item_id in mock_ids)


def _all_text(path: Path) -> str:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist())
    return path.read_text()


@pytest.mark.parametrize("fmt", ["moodle-xml", "gift", "qti21"])
def test_exports_are_byte_identical_twice(tmp_path, fmt):
    first, _ = export(["--format", fmt], tmp_path, "first.bank")
    second, _ = export(["--format", fmt], tmp_path, "second.bank")
    assert first.read_bytes() == second.read_bytes()


def test_output_folder_gets_the_default_name(tmp_path):
    result = CliRunner().invoke(main, ["export-items", "--format", "gift", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "question-bank.gift").is_file()


def test_invalid_content_names_file_line_and_field_and_writes_nothing(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    plan = folder / "items" / "plan.yaml"
    plan.write_text(plan.read_text().replace("difficulty: 1", "difficulty: 7", 1))
    target = tmp_path / "out.xml"
    result = CliRunner().invoke(
        main, ["export-items", "--format", "moodle-xml", "--content", str(folder), "-o", str(target)]
    )
    assert result.exit_code == 1
    line = next(n for n, text in enumerate(plan.read_text().splitlines(), 1) if "difficulty: 7" in text)
    assert f"items/plan.yaml:{line}: items[0].difficulty: " in result.output
    assert "Nothing was written." in result.output
    assert not target.exists()


def test_an_output_path_below_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    result = CliRunner().invoke(
        main, ["export-items", "--format", "gift", "-o", str(tmp_path / "file" / "bank.gift")]
    )
    assert result.exit_code == 1
    assert "is a file, not a folder" in result.output
    assert "Traceback" not in result.output


# --- Moodle XML -----------------------------------------------------------------------------


def _text(element: etree._Element, path: str) -> str:
    found = element.find(path)
    assert found is not None, f"{element.tag} has no {path}"
    return found.findtext("text")


def parse_moodle(path: Path) -> list[dict]:
    """Moodle XML read the way qformat_xml does: a category applies to the questions after it."""
    quiz = etree.parse(str(path), etree.XMLParser(no_network=True, resolve_entities=False)).getroot()
    assert quiz.tag == "quiz"
    questions, category = [], None
    for question in quiz:
        if not isinstance(question.tag, str):
            continue
        assert question.tag == "question"
        if question.get("type") == "category":
            category = question.findtext("category/text")
            continue
        assert question.get("type") == "multichoice"
        for required in ("name", "questiontext", "generalfeedback", "defaultgrade", "single", "answer"):
            assert question.find(required) is not None, required
        assert question.find("questiontext").get("format") == "html"
        assert question.findtext("single") == "true"
        answers = question.findall("answer")
        questions.append(
            {
                "category": category,
                "id": question.findtext("idnumber"),
                "name": _text(question, "name"),
                "stem": _text(question, "questiontext"),
                "general": _text(question, "generalfeedback"),
                "options": [a.findtext("text") for a in answers],
                "fractions": [a.get("fraction") for a in answers],
                "feedback": [a.findtext("feedback/text") for a in answers],
                "tags": [t.findtext("text") for t in question.findall("tags/tag")],
            }
        )
    return questions


def check_round_trip(
    content: CourseContent,
    questions: list[dict],
    include_mock: bool = False,
    same: Callable[[str], str] = lambda html: html,
) -> None:
    """Each exported question against its source item; `same` normalises HTML on both sides."""
    items = {item.id: item for item in exported_items(content, include_mock)}
    assert sorted(q["id"] for q in questions) == sorted(items)
    chapter = f"Ch {content.course.chapter_number} {content.course.chapter_title}"
    for question in questions:
        item = items[question["id"]]
        objective = content.objective(item.objective)
        names = (chapter, objective.title)
        assert question["category"] == "$course$/top/" + "/".join(n.replace("/", "//") for n in names)
        assert same(question["stem"]) == same(expected_stem(item))
        assert [same(o) for o in question["options"]] == [same(inline(o.text)) for o in item.options]
        assert question["correct"] == [o.correct for o in item.options]
        assert [same(f) for f in question["feedback"]] == [same(inline(o.rationale)) for o in item.options]
        assert same(question["general"]) == same(f"<p>{inline(item.rationale)}</p>")
        difficulty = {1: "easy", 2: "medium", 3: "hard"}[item.difficulty]
        pool = {"chapter": "knowledge-check", "open": "practice", "mock": "mock-exam"}[item.pool.value]
        assert question["tags"] == [f"difficulty-{difficulty}", pool]


def test_moodle_xml_round_trip(content, tmp_path):
    path, _ = export(["--format", "moodle-xml"], tmp_path, "bank.xml")
    questions = parse_moodle(path)
    for question in questions:
        assert question["name"] == question["id"]
        question["correct"] = [fraction == "100" for fraction in question.pop("fractions")]
    check_round_trip(content, questions)
    assert any("//" in q["category"] for q in questions)  # "Obtain/build", escaped as Moodle reads it


def test_moodle_xml_keeps_special_characters(special_content, tmp_path):
    path, _ = export(["--format", "moodle-xml", "--content", str(special_content)], tmp_path, "bank.xml")
    questions = parse_moodle(path)
    for question in questions:
        question["correct"] = [fraction == "100" for fraction in question.pop("fractions")]
    check_round_trip(load_content(special_content), questions)
    plan = next(q for q in questions if q["id"] == "plan-01")
    assert plan["options"][0] == inline(SPECIAL)


# --- GIFT -----------------------------------------------------------------------------------


def parse_gift(path: Path) -> list[dict]:
    """gift-pegjs's reading of the file, as the questions with the category each falls under."""
    script = (
        "const p=require(process.argv[1]);const fs=require('fs');"
        "process.stdout.write(JSON.stringify(p.parse(fs.readFileSync(process.argv[2],'utf8'))))"
    )
    node = shutil.which("node")
    assert node, "node is needed for gift-pegjs (make setup)"
    assert GIFT_PARSER.is_file(), "gift-pegjs missing: npm ci (make setup)"
    done = subprocess.run(
        [node, "-e", script, str(GIFT_PARSER), str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    questions, category = [], None
    for entry in json.loads(done.stdout):
        if entry["type"] == "Category":
            category = entry["title"]
            continue
        assert entry["type"] == "MC", entry
        assert entry["stem"]["format"] == "html"
        questions.append(
            {
                "category": category,
                "id": entry["id"],
                "title": entry["title"],
                "stem": entry["stem"]["text"],
                "general": entry["globalFeedback"]["text"],
                "options": [c["text"]["text"] for c in entry["choices"]],
                "correct": [c["isCorrect"] for c in entry["choices"]],
                "feedback": [(c["feedback"] or {"text": ""})["text"] for c in entry["choices"]],
                "tags": entry["tags"],
            }
        )
    return questions


def test_gift_round_trip_through_gift_pegjs(content, tmp_path):
    path, _ = export(["--format", "gift"], tmp_path, "bank.gift")
    questions = parse_gift(path)
    assert all(q["title"] == q["id"] for q in questions)
    check_round_trip(content, questions)


def test_gift_escapes_its_special_characters(special_content, tmp_path):
    path, _ = export(["--format", "gift", "--content", str(special_content)], tmp_path, "bank.gift")
    text = path.read_text()
    assert r"Pick \{one\} \~ not \= this \# or \: that \\ (a\=b)" in text
    questions = parse_gift(path)
    check_round_trip(load_content(special_content), questions)
    plan = next(q for q in questions if q["id"] == "plan-01")
    assert plan["stem"].startswith(f"<p>{inline(SPECIAL)} ")
    assert plan["options"][0] == inline(SPECIAL)
    assert plan["feedback"][0].startswith(inline(SPECIAL))
    assert plan["category"].endswith("/Plan {#1}: ~=strategy")


def test_gift_with_secure_pools_round_trips_too(content, tmp_path):
    path, _ = export(["--format", "gift", "--include-secure-pools"], tmp_path, "bank.gift")
    check_round_trip(content, parse_gift(path), include_mock=True)


# --- QTI 2.1 --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def qti(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    path, _ = export(["--format", "qti21"], tmp_path_factory.mktemp("qti"), "bank.zip")
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def normalise(fragment: str) -> str:
    """HTML serialised by one parser, so the renderer's and lxml's spellings compare equal."""
    if not fragment:
        return ""
    return html.tostring(html.fragment_fromstring(fragment, create_parent="x"), encoding="unicode")[3:-4]


def markup(element: etree._Element | None) -> str:
    """An element's content as HTML without the QTI namespace."""
    if element is None:
        return ""
    copy = etree.fromstring(etree.tostring(element))
    for node in copy.iter():
        if isinstance(node.tag, str):
            node.tag = etree.QName(node).localname
    etree.cleanup_namespaces(copy)
    return (copy.text or "") + "".join(etree.tostring(child, encoding="unicode") for child in copy)


def test_qti21_files_are_valid_against_the_ims_xsd(qti):
    checked = [name for name in qti if name != "imsmanifest.xml"]
    assert len(checked) == 27  # the test and 26 items
    for name in checked:
        assert qti21_errors(qti[name]) == [], name


def test_qti21_manifest_is_valid_ims_cp_with_lom_keywords(qti):
    manifest = qti["imsmanifest.xml"]
    assert manifest_errors(manifest) == []
    broken = manifest.replace(b"<lom:keyword>", b"<lom:keywords>", 1)
    assert manifest_errors(broken.replace(b"</lom:keyword>", b"</lom:keywords>", 1))  # LOM is checked
    assert manifest_errors(manifest.replace(b'type="imsqti_item_xmlv2p1"', b"", 1))  # a resource needs a type


def test_the_qti21_schema_check_can_fail(qti):
    errors = qti21_errors(qti["items/plan-01.xml"].replace(b'maxChoices="1"', b'maxChoices="one"'))
    assert errors and "maxChoices" in errors[0]


def test_qti21_round_trip(content, qti):
    questions = []
    chapter = f"Ch {content.course.chapter_number} {content.course.chapter_title}"
    for section in etree.fromstring(qti["assessment.xml"]).iterfind(".//q:assessmentSection", QTI):
        objective = content.objective(section.get("identifier"))
        assert section.get("title") == objective.title
        for reference in section.iterfind("q:assessmentItemRef", QTI):
            item = etree.fromstring(qti[reference.get("href")])
            correct = item.findtext(".//q:correctResponse/q:value", namespaces=QTI)
            choices = item.findall(".//q:simpleChoice", QTI)
            feedback = {m.get("identifier"): m for m in item.iterfind("q:modalFeedback", QTI)}
            questions.append(
                {
                    "category": "$course$/top/"
                    + "/".join(n.replace("/", "//") for n in (chapter, objective.title)),
                    "id": item.get("identifier"),
                    "stem": markup(item.find(".//q:itemBody/q:div", QTI)),
                    "general": markup(feedback["RATIONALE"]),
                    "options": [markup(c) for c in choices],
                    "correct": [c.get("identifier") == correct for c in choices],
                    "feedback": [markup(feedback.get(c.get("identifier"))) for c in choices],
                    "tags": reference.get("category").split(),
                }
            )
    check_round_trip(content, questions, same=normalise)
    manifest = etree.fromstring(qti["imsmanifest.xml"])
    hrefs = {f.get("href") for f in manifest.iter("{http://www.imsglobal.org/xsd/imscp_v1p1}file")}
    assert hrefs == set(qti) - {"imsmanifest.xml"}
