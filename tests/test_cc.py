"""`scorm-builder build --format cc`: the Common Cartridge 1.3 an LMS imports.

The LTI link files are validated against IMS's LTI CC schemas (vendored, see
scorm_builder/schemas/cc13/SOURCES.md). The CC 1.3 manifest and CC QTI profile XSDs could not be
vendored, so the manifest and the assessment are checked here against the profile's rules as the
schema documents them (rooted hierarchy, untitled top item, titled items, no isvisible, references
resolve, every file listed), and the assessment is read back and compared with the source items.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from courseware import CourseContent
from courseware.markup import markdown_inline
from courseware.model import BlueprintKind
from scorm_builder.banks.qti_schema import manifest_errors
from scorm_builder.cli import main
from scorm_builder.formats.cc_schema import lti_link_errors

from .conftest import CONTENT_DIR

CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
NS = {
    "cp": CP,
    "lomm": "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest",
    "cc": "http://www.imsglobal.org/xsd/imslticc_v1p0",
    "blti": "http://www.imsglobal.org/xsd/imsbasiclti_v1p0",
    "lticm": "http://www.imsglobal.org/xsd/imslticm_v1p0",
    "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2",
}
TOOL = "https://tool.skarp.test/base"
CC13_RESOURCE_TYPES = {  # the CC 1.3 resource type vocabulary (ccresourcetypevocabularyv1p3), as used
    "webcontent",
    "imsbasiclti_xmlv1p3",
    "imsqti_xmlv1p2/imscc_xmlv1p3/assessment",
}


def build(tmp_path: Path, *args: str) -> tuple[int, str, Path]:
    out = tmp_path / "dist"
    result = CliRunner().invoke(main, ["build", "--format", "cc", "-o", str(out), *args])
    return result.exit_code, result.output, out


@pytest.fixture(scope="module")
def cartridge(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    code, output, out = build(tmp_path_factory.mktemp("cc"), "--tool-url", TOOL + "/")
    assert code == 0, output
    (path,) = out.glob("*.imscc")
    assert path.name == "ch14-service-value-chain.imscc"
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        assert archive.namelist()[0] == "imsmanifest.xml"
        return {name: archive.read(name) for name in archive.namelist()}


def manifest(cartridge: dict[str, bytes]) -> etree._Element:
    return etree.fromstring(cartridge["imsmanifest.xml"])


def test_builds_are_byte_identical(tmp_path):
    first = build(tmp_path / "a", "--tool-url", TOOL)
    second = build(tmp_path / "b", "--tool-url", TOOL)
    assert first[0] == second[0] == 0
    (a,), (b,) = first[2].glob("*.imscc"), second[2].glob("*.imscc")
    assert a.read_bytes() == b.read_bytes()


def test_manifest_follows_the_cc13_profile(cartridge):
    root = manifest(cartridge)
    assert root.tag == f"{{{CP}}}manifest"
    assert root.findtext("cp:metadata/cp:schema", namespaces=NS) == "IMS Common Cartridge"
    assert root.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.3.0"
    assert root.findtext("cp:metadata/lomm:lom/lomm:general/lomm:title/lomm:string", namespaces=NS)
    organizations = root.findall("cp:organizations/cp:organization", NS)
    assert len(organizations) == 1 and organizations[0].get("structure") == "rooted-hierarchy"
    top = organizations[0].findall("cp:item", NS)
    assert len(top) == 1 and top[0].find("cp:title", NS) is None  # the root item has no title
    for item in top[0].iter(f"{{{CP}}}item"):
        if item is not top[0]:
            assert item.findtext("cp:title", namespaces=NS), item.get("identifier")
        assert "isvisible" not in item.attrib and "parameters" not in item.attrib
    ids = [el.get("identifier") for el in root.iter() if el.get("identifier")]
    assert len(ids) == len(set(ids))


def test_manifest_is_valid_against_the_ims_cp_and_lom_schemas_it_profiles(cartridge):
    """The CC 1.3 profile XSD is not vendored (SOURCES.md): the manifest, moved into the namespaces of
    IMS CP 1.1.4 and IMS LOM (both vendored), must be valid against them: element order, required
    attributes, LOM metadata. The profile's own restrictions are the rules of the test above."""
    text = cartridge["imsmanifest.xml"].replace(CP.encode(), b"http://www.imsglobal.org/xsd/imscp_v1p1")
    text = text.replace(NS["lomm"].encode(), b"http://ltsc.ieee.org/xsd/LOM")
    assert manifest_errors(text) == []
    assert manifest_errors(text.replace(b' type="webcontent"', b"", 1))  # the check can fail


def test_every_reference_resolves_and_every_file_is_listed(cartridge):
    root = manifest(cartridge)
    resources = {r.get("identifier"): r for r in root.iterfind("cp:resources/cp:resource", NS)}
    assert {r.get("type") for r in resources.values()} <= CC13_RESOURCE_TYPES
    for item in root.iter(f"{{{CP}}}item"):
        ref = item.get("identifierref")
        assert ref is None or ref in resources, ref
    for dependency in root.iter(f"{{{CP}}}dependency"):
        assert dependency.get("identifierref") in resources
    listed = {f.get("href") for f in root.iter(f"{{{CP}}}file")}
    assert listed == set(cartridge) - {"imsmanifest.xml"}
    for resource in resources.values():
        href = resource.get("href")
        assert href is None or href in listed


def test_lti_links_are_valid_and_import_as_graded_canvas_assignments(cartridge, content: CourseContent):
    root = manifest(cartridge)
    links = root.xpath("cp:resources/cp:resource[@type='imsbasiclti_xmlv1p3']", namespaces=NS)
    assert len(links) == 3
    expected = {
        b.id: (1 if b.kind is BlueprintKind.review else b.item_count)
        for b in content.blueprints
        if b.kind in (BlueprintKind.diagnostic, BlueprintKind.mock_exam, BlueprintKind.review)
    }
    seen = {}
    for resource in links:
        data = cartridge[resource.find("cp:file", NS).get("href")]
        assert lti_link_errors(data) == []
        link = etree.fromstring(data)
        assessment = link.findtext("blti:custom/lticm:property[@name='assessment']", namespaces=NS)
        assert (
            link.findtext("blti:secure_launch_url", namespaces=NS)
            == f"{TOOL}/lti/launch?assessment={assessment}"
        )
        canvas = link.find("blti:extensions[@platform='canvas.instructure.com']", NS)
        seen[assessment] = int(canvas.findtext("lticm:property[@name='outcome']", namespaces=NS))
        assert canvas.findtext("lticm:property[@name='domain']", namespaces=NS) == "tool.skarp.test"
    assert seen == expected
    assert expected["mock-exam"] == 20 and expected["spaced-review"] == 1


def test_the_lti_link_schema_check_can_fail(cartridge):
    broken = cartridge["lti/diagnostic.xml"].replace(b"<blti:title>Diagnostic</blti:title>", b"")
    errors = lti_link_errors(broken)
    assert errors and "title" in " ".join(errors)


def _html(element: etree._Element | None) -> str:
    assert element is not None
    return element.findtext("q:material/q:mattext", namespaces=NS)


def inline(text: str) -> str:
    return str(markdown_inline(text)).replace("\n", " ")


def test_knowledge_check_is_cc_qti_with_every_rationale(cartridge, content: CourseContent):
    root = etree.fromstring(cartridge["knowledge-check/assessment.xml"])
    assessment = root.find("q:assessment", NS)
    meta = {
        f.findtext("q:fieldlabel", namespaces=NS): f.findtext("q:fieldentry", namespaces=NS)
        for f in assessment.iterfind("q:qtimetadata/q:qtimetadatafield", NS)
    }
    assert meta["cc_profile"] == "cc.exam.v0p1"
    items = assessment.findall("q:section/q:item", NS)
    check = next(b for b in content.blueprints if b.kind is BlueprintKind.knowledge_check)
    assert [i.get("ident") for i in items] == check.items
    by_id = {item.id: item for item in content.chapter_items}
    for element in items:
        source = by_id[element.get("ident")]
        assert _html(element.find("q:presentation", NS)) == f"<p>{inline(source.stem)}</p>"
        labels = element.findall(".//q:response_label", NS)
        assert [_html(label) for label in labels] == [inline(o.text) for o in source.options]
        correct = element.find("q:resprocessing/q:respcondition[q:setvar]", NS)
        assert correct.findtext("q:setvar", namespaces=NS) == "100"
        assert correct.findtext("q:conditionvar/q:varequal", namespaces=NS) == "ABCD"[source.answer_index]
        feedback = {f.get("ident"): f for f in element.iterfind("q:itemfeedback", NS)}
        for letter, option in zip("ABCD", source.options, strict=True):
            if option.rationale:  # an option without one has no feedback of its own
                assert _html(feedback[f"{letter}_fb"].find("q:flow_mat", NS)) == inline(option.rationale)
            else:
                assert f"{letter}_fb" not in feedback
        assert _html(feedback["general_fb"].find("q:flow_mat", NS)) == f"<p>{inline(source.rationale)}</p>"
        shown = {d.get("linkrefid") for d in element.iter(f"{{{NS['q']}}}displayfeedback")}
        assert shown == set(feedback)


def test_no_diagnostic_or_mock_item_is_shipped(cartridge, content: CourseContent):
    text = b"\n".join(cartridge.values()).decode()
    chapter_text = content.chapter.model_dump_json()
    for item in content.items:
        if item.stem not in chapter_text:  # a stem may quote the chapter (as in test_builder)
            assert inline(item.stem) not in text, item.id


def test_the_pages_are_the_chapter_without_the_graded_quiz_page(cartridge, content: CourseContent):
    pages = sorted(name for name in cartridge if name.endswith(".html"))
    quizzes = sum(part.kind == "quiz" for part in content.chapter.parts)
    assert len(pages) == len(content.chapter.parts) - quizzes
    for name in pages:
        assert b"http://" not in cartridge[name] and b"https://" not in cartridge[name]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://tool.example.com", "must start with https://"),
        ("https://", "needs a host name"),
        ("https://user:pw@tool.example.com", "needs a host name and no user name"),
        ("https://tool.example.com/?x=1", "without ? or #"),
        ("https://tool.example.com:99999", "is not a URL"),
        ("javascript:alert(1)", "must start with https://"),
    ],
)
def test_a_bad_tool_url_is_refused_and_nothing_written(tmp_path, url, message):
    code, output, out = build(tmp_path, "--tool-url", url)
    assert code == 1
    assert f"--tool-url: {url!r}" in output and message in output
    assert "Nothing was written." in output and "Traceback" not in output
    assert not out.exists() or not any(out.iterdir())


def test_tool_url_is_only_for_the_cartridge(tmp_path):
    result = CliRunner().invoke(main, ["build", "--tool-url", TOOL, "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "--tool-url is for --format cc" in result.output


def test_invalid_content_is_reported_with_file_and_line(tmp_path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    blueprints = folder / "blueprints.yaml"
    blueprints.write_text(blueprints.read_text().replace("pass_mark: 0.8", "pass_mark: 8", 1))
    result = CliRunner().invoke(main, ["build", "--format", "cc", str(folder), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "blueprints.yaml:" in result.output and "pass_mark" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("folder", ["cc13", "qti21"])
def test_vendored_schemas_match_their_sources_md(folder):
    """Every vendored XSD is listed in SOURCES.md with the sha256 of the upstream file, and unchanged."""
    root = Path(__file__).resolve().parent.parent / "scorm_builder" / "schemas" / folder
    sources = (root / "SOURCES.md").read_text()
    listed = dict(re.findall(r"^\| `([^`]+\.xsd)` \| `([0-9a-f]{64})` \|", sources, re.M))
    present = {path.relative_to(root).as_posix() for path in root.rglob("*.xsd")}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == digest, name
