"""The builder's packages: valid manifests, reproducible zips, safe output, nothing secret shipped."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from courseware import load_content
from scorm_builder import package as package_module
from scorm_builder.cli import main
from scorm_builder.manifest import ADLCP, IMSCP, IMSMD
from scorm_builder.package import BuildError, build_packages
from scorm_builder.schema import schema_errors
from scorm_builder.validate import Finding, Report, Severity

from .conftest import CONTENT_DIR

NS = {"cp": IMSCP, "adlcp": ADLCP, "md": IMSMD}
SCHEMA_FILE_NAMES = {"imscp_rootv1p1p2.xsd", "adlcp_rootv1p2.xsd", "imsmd_rootv1p2p1.xsd", "ims_xml.xsd"}


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def manifest_of(path: Path) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(read_zip(path)["imsmanifest.xml"]))


def test_builds_the_three_packages(built):
    assert set(built) == {
        "ch14-service-value-chain",
        "ch14-service-value-chain-multi-sco",
        "ch14-knowledge-check",
    }


def test_every_manifest_is_valid_against_the_scorm_12_schemas(built):
    for package in built.values():
        assert schema_errors(manifest_of(package.path)) == [], package.path.name


def test_every_package_passes_scorm_builder_validate(built):
    paths = [str(package.path) for package in built.values()]
    result = CliRunner().invoke(main, ["validate", "--strict", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count(": OK, 0 errors, 0 warnings, 0 infos") == 3


def test_manifest_follows_scorm_12_and_moodle_conventions(built, content):
    for package in built.values():
        raw = read_zip(package.path)["imsmanifest.xml"].decode()
        manifest = manifest_of(package.path)
        assert manifest.findtext("cp:metadata/cp:schema", namespaces=NS) == "ADL SCORM"
        assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "1.2"
        lom = "cp:metadata/md:lom/md:general"
        assert manifest.findtext(f"{lom}/md:title/md:langstring", namespaces=NS) == package.layout.title
        assert manifest.findtext(f"{lom}/md:language", namespaces=NS) == content.course.language
        assert manifest.findtext(f"{lom}/md:description/md:langstring", namespaces=NS)
        version = "cp:metadata/md:lom/md:lifecycle/md:version/md:langstring"
        assert manifest.findtext(version, namespaces=NS) == content.course.version
        default = manifest.find("cp:organizations", NS).get("default")
        assert manifest.find(f"cp:organizations/cp:organization[@identifier='{default}']", NS) is not None
        assert 'adlcp:scormtype="sco"' in raw, "Moodle matches the adlcp: prefix literally"
        assert "xml:base" not in raw
        for resource in manifest.iterfind("cp:resources/cp:resource", NS):
            assert resource.get(f"{{{ADLCP}}}scormtype") in {"sco", "asset"}


def test_mastery_score_only_on_graded_scos(built):
    for package in built.values():
        manifest = manifest_of(package.path)
        for item in manifest.iterfind(".//cp:item", NS):
            mastery = item.findtext("adlcp:masteryscore", namespaces=NS)
            graded = item.get("identifier") in {"ITEM-knowledge-check"} or (
                item.get("identifier") == "ITEM-index"
            )
            assert (mastery == "80") if graded else (mastery is None), (
                package.path.name,
                item.get("identifier"),
            )


def test_every_file_is_listed_by_a_resource(built):
    for package in built.values():
        files = set(read_zip(package.path))
        listed = {f.get("href") for f in manifest_of(package.path).iterfind(".//cp:file", NS)}
        assert files - listed == SCHEMA_FILE_NAMES | {"imsmanifest.xml"}, package.path.name
        assert files >= SCHEMA_FILE_NAMES, "the XSDs ship in the package, as real SCORM packages do"


def test_multi_sco_has_one_sco_per_part(built, content):
    scos = built["ch14-service-value-chain-multi-sco"].layout.scos
    quiz_count = sum(part.kind == "quiz" for part in content.chapter.parts)
    assert len(scos) == len(content.chapter.parts) - quiz_count + 1
    kinds = {sco.pages[0].kind for sco in scos}
    assert kinds == {"lesson", "exercise", "quiz", "flashcards", "key_terms"}
    manifest = manifest_of(built["ch14-service-value-chain-multi-sco"].path)
    assert len(manifest.findall(".//cp:organization/cp:item", NS)) == len(scos)


def test_builds_are_byte_identical(content, tmp_path):
    first = build_packages(content, tmp_path / "a") + build_packages(content, tmp_path / "a", multi_sco=True)
    second = build_packages(load_content(CONTENT_DIR), tmp_path / "b") + build_packages(
        load_content(CONTENT_DIR), tmp_path / "b", multi_sco=True
    )
    for one, two in zip(first, second, strict=True):
        assert one.path.read_bytes() == two.path.read_bytes(), one.path.name


def test_build_in_a_separate_process_is_byte_identical(built, tmp_path):
    """Another interpreter (new hash seed, other cwd) gives the same bytes."""
    subprocess.run(
        [sys.executable, "-m", "scorm_builder", "build", str(CONTENT_DIR), "-o", str(tmp_path), "-q"],
        check=True,
        cwd=tmp_path,
        env={"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"},
    )
    for name in ("ch14-service-value-chain", "ch14-knowledge-check"):
        assert (tmp_path / f"{name}.zip").read_bytes() == built[name].path.read_bytes()


def test_no_diagnostic_or_mock_exam_item_is_shipped(built, content):
    texts = b"".join(data for package in built.values() for data in read_zip(package.path).values())
    chapter_text = content.chapter.model_dump_json()
    for item in content.items:
        if item.stem not in chapter_text:  # a stem may quote the chapter ("Which statement BEST...")
            assert item.stem.encode() not in texts, item.id
        assert f'"{item.id}"'.encode() not in texts, item.id


def test_packages_are_small(built):
    for package in built.values():
        assert package.size < 500 * 1024, package.path.name


def test_content_is_escaped_not_injected(tmp_path):
    content_dir = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, content_dir)
    chapter = content_dir / "chapter.yaml"
    text = chapter.read_text().replace("title: SVS vs SVC", 'title: "SVS <script>alert(1)</script> SVC"', 1)
    text = text.replace("Memorize this wording", "Memorize <img src=x onerror=alert(2)> this wording", 1)
    chapter.write_text(text)
    built = build_packages(load_content(content_dir), tmp_path / "dist")
    html = read_zip(built[0].path)["index.html"].decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_invalid_package_is_never_written(content, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    out.mkdir()
    (out / "ch14-knowledge-check.zip").write_bytes(b"the previous good build")

    def failing(files, name="package"):
        return Report(name, [Finding(Severity.error, "schema", "broken on purpose", "imsmanifest.xml:1")])

    monkeypatch.setattr(package_module, "validate_files", failing)
    with pytest.raises(BuildError, match="broken on purpose"):
        build_packages(content, out)
    assert sorted(p.name for p in out.iterdir()) == ["ch14-knowledge-check.zip"]
    assert (out / "ch14-knowledge-check.zip").read_bytes() == b"the previous good build"


def test_suspend_data_budget_is_enforced(content, tmp_path):
    tight = dataclasses.replace(package_module.SCORM12, suspend_data_limit=10)
    with pytest.raises(BuildError, match="more than 10 characters of suspend_data"):
        build_packages(content, tmp_path, standard=tight)
    assert list(tmp_path.iterdir()) == []


def test_worst_case_suspend_data_fits_scorm_12(built):
    for package in built.values():
        for sco in package.layout.scos:
            assert package_module.max_suspend_data_length(sco) <= 4096


def test_cli_build_help_progress_and_output(tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(main, ["build", "--help"]).output
    assert "--multi-sco" in help_text and "CONTENT_DIR" in help_text
    result = runner.invoke(main, ["build", str(CONTENT_DIR), "-o", str(tmp_path), "--multi-sco"])
    assert result.exit_code == 0, result.output
    assert "rendering ch14-service-value-chain-multi-sco (13 SCOs)" in result.stderr
    assert result.stdout.split() == [
        str(tmp_path / "ch14-service-value-chain-multi-sco.zip"),
        str(tmp_path / "ch14-knowledge-check.zip"),
    ]


def test_cli_validate_fails_on_a_broken_package(tmp_path):
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("course/imsmanifest.xml", "<manifest/>")
    result = CliRunner().invoke(main, ["validate", str(broken)])
    assert result.exit_code == 1
    assert "manifest-not-at-root" in result.output and "INVALID" in result.output


def openedx_navigation_titles(manifest_xml: bytes) -> list[str]:
    """The navigation menu Open edX's SCORM XBlock builds (openedxscorm, extract_navigation_titles).

    Like the XBlock: ElementTree, the default namespace read from the document's first start-ns
    event, the organization's title, then only child items with an explicit isvisible="true",
    recursively (the spec's default of true is not applied)."""
    namespace = next(
        (node[1] for _, node in ET.iterparse(io.BytesIO(manifest_xml), events=["start-ns"]) if node[0] == ""),
        "",
    )
    prefix = "{" + namespace + "}" if namespace else ""
    root = ET.fromstring(manifest_xml)

    def titles(node) -> list[str]:
        found = [node.find(f"{prefix}title").text]
        for child in node.findall(f"{prefix}item"):
            if child.attrib.get("isvisible") == "true":
                found += titles(child)
        return found

    return [t for org in root.findall(f"{prefix}organizations/{prefix}organization") for t in titles(org)]


def test_open_edx_shows_every_item_of_the_multi_sco_package(built):
    package = built["ch14-service-value-chain-multi-sco"]
    entries = openedx_navigation_titles(read_zip(package.path)["imsmanifest.xml"])
    assert entries == [package.layout.title] + [sco.title for sco in package.layout.scos]
    assert len(entries) - 1 == len(package.layout.scos) == 13
    for other in built.values():
        manifest = manifest_of(other.path)
        assert all(item.get("isvisible") == "true" for item in manifest.iterfind(".//cp:item", NS))


def test_tracking_options_reach_every_sco(built):
    for package in built.values():
        files = read_zip(package.path)
        for sco in package.layout.scos:
            html = files[sco.filename].decode()
            config = json.loads(re.search(r'id="sco-config">(.*?)</script>', html)[1])
            assert config["tracking"] == {
                "statusOnFail": "failed",
                "statusWhenDone": "completed",
                "pageDoneAtEnd": True,
                "pageDoneAfterSeconds": 5,
                "exitWhileIncomplete": "suspend",
                "commitIntervalSeconds": 60,
                "recordInteractions": True,
                "uniqueInteractionIds": True,
                "honourLmsMasteryScore": True,
            }
            assert "assets/suspend-data.js" in html
