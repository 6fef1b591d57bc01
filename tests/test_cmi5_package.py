"""`scorm-builder build --format cmi5`: the course zip, its cmi5.xml and what ships in it."""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from scorm_builder.cli import main
from scorm_builder.formats import FORMATS
from scorm_builder.formats.cmi5 import STRUCTURE_FILE, build_cmi5, check_course_structure
from scorm_builder.package import BuildError

from .conftest import ROOT

NS = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
XSD = ROOT / "scorm_builder" / "schemas" / "CourseStructure.xsd"
XSD_SHA256 = "6a0b04962f5baa4603ee28e84ce4c74a122f322a548c8fdc14d93b2a23781d75"  # schemas/CMI5-SOURCES.md
BASE = "urn:skarp:skarp.itil4-foundation.ch14"


@pytest.fixture(scope="module")
def courses(tmp_path_factory) -> dict[str, Path]:
    """Both layouts, built through the CLI as an author would."""
    out = tmp_path_factory.mktemp("cmi5-dist")
    runner = CliRunner()
    single = runner.invoke(main, ["build", "--format", "cmi5", "-o", str(out)])
    multi = runner.invoke(main, ["build", "--format", "cmi5", "--multi-sco", "-o", str(out)])
    assert single.exit_code == 0, single.output
    assert multi.exit_code == 0, multi.output
    return {"single": Path(single.stdout.strip()), "multi": Path(multi.stdout.strip())}


def structure(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read(STRUCTURE_FILE))


def test_cli_writes_one_course_zip_per_layout(courses):
    assert courses["single"].name == "ch14-service-value-chain-cmi5.zip"
    assert courses["multi"].name == "ch14-service-value-chain-cmi5-multi-au.zip"
    with zipfile.ZipFile(courses["single"]) as archive:
        names = set(archive.namelist())
    assert {STRUCTURE_FILE, "chapter.html", "knowledge-check.html", "assets/cmi5.umd.js"} <= names
    assert not {"imsmanifest.xml", "assets/scorm-adapters.js", "assets/scorm-runtime.js"} & names
    assert "cmi5" in FORMATS


@pytest.mark.parametrize("layout", ["single", "multi"])
def test_cmi5_xml_is_valid_against_the_course_structure_xsd(courses, layout):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = structure(courses[layout])
    assert schema.validate(document), [str(error) for error in schema.error_log]


def test_one_au_per_chapter_or_per_part_plus_the_knowledge_check(courses, content):
    single = structure(courses["single"]).findall("c:au", NS)
    multi = structure(courses["multi"]).findall("c:au", NS)
    assert [au.get("id") for au in single] == [f"{BASE}:au:chapter", f"{BASE}:au:knowledge-check"]
    non_quiz_parts = [part.id for part in content.chapter.parts if part.kind != "quiz"]
    assert [
        au.get("id").rsplit(":", 1)[1] for au in multi if "knowledge-check" not in au.get("id")
    ] == non_quiz_parts
    assert sum("knowledge-check" in au.get("id") for au in multi) == 1
    for au in single + multi:
        assert au.get("launchMethod") == "AnyWindow"
        assert not re.match(r"^[a-z]+:", au.findtext("c:url", namespaces=NS)), "AU URLs are relative"
        if au.get("id").endswith(":knowledge-check"):
            assert (au.get("moveOn"), au.get("masteryScore")) == ("Passed", "0.8")
        else:
            assert (au.get("moveOn"), au.get("masteryScore")) == ("CompletedOrPassed", None)


@pytest.mark.parametrize("layout", ["single", "multi"])
def test_every_au_url_is_in_the_zip_and_objectives_resolve(courses, content, layout):
    root = structure(courses[layout])
    with zipfile.ZipFile(courses[layout]) as archive:
        names = set(archive.namelist())
    declared = [o.get("id") for o in root.findall("c:objectives/c:objective", NS)]
    assert declared == [f"{BASE}:objective:{o.id}" for o in content.objectives]
    referenced = {ref.get("idref") for ref in root.iterfind("c:au/c:objectives/c:objective", NS)}
    assert referenced and referenced <= set(declared)
    check = root.find(f"c:au[@id='{BASE}:au:knowledge-check']", NS)
    check_refs = {
        ref.get("idref").rsplit(":", 1)[1] for ref in check.iterfind("c:objectives/c:objective", NS)
    }
    assert check_refs == {part.item.objective for part in content.chapter.parts if part.kind == "quiz"}
    for au in root.iterfind("c:au", NS):
        assert au.findtext("c:url", namespaces=NS) in names
        assert au.findtext("c:title/c:langstring", namespaces=NS)
        assert au.findtext("c:description/c:langstring", namespaces=NS)


def test_builds_are_byte_identical(content, tmp_path):
    first = build_cmi5(content, tmp_path / "a", multi_sco=True)[0].path.read_bytes()
    second = build_cmi5(content, tmp_path / "b", multi_sco=True)[0].path.read_bytes()
    assert first == second
    single = [build_cmi5(content, tmp_path / name)[0].path.read_bytes() for name in ("c", "d")]
    assert single[0] == single[1]


def test_au_pages_load_the_cmi5_runtime_and_scorm_pages_keep_theirs(courses, built):
    with zipfile.ZipFile(courses["single"]) as archive:
        page = archive.read("knowledge-check.html").decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == [
        "assets/cmi5.umd.js",
        "assets/cmi5-transport.js",
        "assets/cmi5-runtime.js",
        "assets/suspend-data.js",
        "assets/pass-rule.js",
        "assets/sco-activities.js",
        "assets/sco-quizzes.js",
    ], "sco-app.js is loaded by cmi5-runtime.js once the launch is done"
    with zipfile.ZipFile(built["ch14-knowledge-check"].path) as archive:
        scorm_page = archive.read("index.html").decode()
    assert re.findall(r'<script src="([^"]+)"', scorm_page) == [
        "assets/scorm-adapters.js",
        "assets/scorm-runtime.js",
        "assets/suspend-data.js",
        "assets/pass-rule.js",
        "assets/sco-activities.js",
        "assets/sco-quizzes.js",
        "assets/sco-app.js",
    ]


def test_the_lms_mastery_score_is_honoured_whatever_course_yaml_says(courses):
    with zipfile.ZipFile(courses["single"]) as archive:
        page = archive.read("knowledge-check.html").decode()
    assert '"honourLmsMasteryScore":true' in page


def test_bundled_library_is_the_npm_build_with_its_licence(courses):
    shipped = ROOT / "scorm_builder" / "static" / "cmi5.umd.js"
    npm = ROOT / "node_modules" / "@xapi" / "cmi5" / "dist" / "Cmi5.umd.js"
    assert shipped.read_bytes() == npm.read_bytes()
    with zipfile.ZipFile(courses["multi"]) as archive:
        assert archive.read("assets/cmi5.umd.js") == npm.read_bytes()
        licence = archive.read("assets/cmi5.umd.js.LICENSE.txt").decode()
    assert "MIT License" in licence and "@xapi/cmi5" in licence


def test_vendored_schema_is_the_published_one():
    assert hashlib.sha256(XSD.read_bytes()).hexdigest() == XSD_SHA256


def test_a_broken_course_structure_is_reported_by_file_and_line(courses):
    with zipfile.ZipFile(courses["single"]) as archive:
        good = archive.read(STRUCTURE_FILE)
        names = set(archive.namelist())
    assert check_course_structure(good, names) == []
    bad = good.replace(b'moveOn="Passed"', b'moveOn="Sometimes"').replace(
        b"<url>chapter.html</url>", b"<url>missing.html</url>"
    )
    problems = check_course_structure(bad, names)
    assert any(re.match(r"cmi5\.xml:\d+: .*moveOn.*Sometimes", p) for p in problems), problems
    assert any(re.match(r"cmi5\.xml:\d+: url 'missing.html' is not in the package", p) for p in problems), (
        problems
    )
    twice = good.replace(f"{BASE}:au:chapter".encode(), f"{BASE}:au:knowledge-check".encode())
    assert any("is used twice" in p for p in check_course_structure(twice, names))
    assert check_course_structure(b"<courseStructure", names)[0].startswith("cmi5.xml:1: not well-formed XML")


def test_an_invalid_course_is_never_written(content, tmp_path, monkeypatch):
    from scorm_builder.formats import cmi5

    monkeypatch.setattr(cmi5, "MOVE_ON_GRADED", "Sometimes")
    with pytest.raises(BuildError, match=r"cmi5\.xml:\d+: .*Sometimes"):
        build_cmi5(content, tmp_path / "out")
    assert not (tmp_path / "out").exists()
