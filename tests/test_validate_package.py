"""SCORM 1.2 package validator: real manifests pass, and each kind of defect gets its own finding.

Here: the schema, the package as a whole, its zip entries and the report; the manifest's own checks
are in test_validate_manifest.py, files and URLs it refers to in test_validate_references.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from scorm_builder.schema import SCHEMA_FILES, manifest_schema, schema_errors
from scorm_builder.validate import (
    Severity,
    format_report,
    validate_files,
    validate_package,
)

from .scorm12_package import EXAMPLES, INDEX, MANIFEST, check, codes, line_of, only, package_files, write_zip

# --------------------------------------------------------------------------- schema


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_real_manifests_are_schema_valid(example: Path) -> None:
    assert schema_errors(etree.parse(str(example))) == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_real_manifest_in_a_complete_package_has_no_errors(example: Path) -> None:
    tree = etree.parse(str(example))
    hrefs = {el.get("href").removeprefix("./") for el in tree.iter() if el.get("href")}
    files = {"imsmanifest.xml": example.read_bytes(), **{h: b"<html></html>" for h in hrefs}}
    report = validate_files(files, example.name)
    assert report.ok, format_report(report)


def test_schema_is_built_once_and_knows_all_three_namespaces() -> None:
    assert manifest_schema() is manifest_schema()
    assert [p.name for p in SCHEMA_FILES] == [
        "imscp_rootv1p1p2.xsd",
        "adlcp_rootv1p2.xsd",
        "imsmd_rootv1p2p1.xsd",
        "ims_xml.xsd",
    ]
    assert all(p.is_file() for p in SCHEMA_FILES)


def test_schema_errors_carry_line_numbers() -> None:
    broken = MANIFEST.replace('<resource identifier="res1" type="webcontent"', '<resource identifier="res1"')
    errors = schema_errors(etree.ElementTree(etree.fromstring(broken.encode())))
    line = line_of(broken, "<resource ")
    assert errors == [f"line {line}: Element 'resource': The attribute 'type' is required but missing."]


# --------------------------------------------------------------------------- whole package


def test_minimal_package_has_no_findings(tmp_path: Path) -> None:
    report = check(tmp_path)
    assert report.ok
    assert report.findings == [], format_report(report)
    assert report.package == "course.zip"


def test_validate_files_runs_the_same_checks_in_memory() -> None:
    report = validate_files(package_files(extra={"notes.txt": b"x"}))
    assert report.package == "package"
    assert codes(report) == {"unlisted-files"}


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "course.zip"
    path.write_text("just text")
    finding = only(validate_package(path), "not-a-zip")
    assert finding.severity is Severity.error
    assert "course.zip" in finding.message


def test_truncated_zip_is_corrupt(tmp_path: Path) -> None:
    path = write_zip(tmp_path, package_files())
    path.write_bytes(path.read_bytes()[:200])
    report = validate_package(path)
    assert not report.ok
    assert codes(report) == {"corrupt-zip"}


def test_missing_package_file(tmp_path: Path) -> None:
    assert codes(validate_package(tmp_path / "nope.zip")) == {"package-unreadable"}


# --------------------------------------------------------------------------- zip entries


@pytest.mark.parametrize(
    "entry", ["../evil.html", "content/../../evil.html", "/etc/evil.html", "C:/evil.html"]
)
def test_entries_escaping_the_root(tmp_path: Path, entry: str) -> None:
    finding = only(check(tmp_path, extra={entry: b"x"}), "path-escapes-root")
    assert finding.severity is Severity.error
    assert finding.location == entry
    assert entry in finding.message


def test_backslash_entry_is_unsafe(tmp_path: Path) -> None:
    finding = only(check(tmp_path, extra={"assets\\logo.png": b"x"}), "unsafe-path")
    assert finding.severity is Severity.error
    assert "assets\\\\logo.png" in finding.message  # repr of the name


# --------------------------------------------------------------------------- report


def test_findings_are_collected_and_sorted(tmp_path: Path) -> None:
    broken = MANIFEST.replace('default="org"', 'default="nope"').replace(">80<", ">x<")
    page = INDEX.replace(b"<p>Hello</p>", b'<a href="http://example.com">x</a>')
    report = check(tmp_path, broken, {"index.html": page, "notes.txt": b"x"})
    assert [f.severity for f in report.findings] == [Severity.error] * 2 + [Severity.warning, Severity.info]
    assert [f.code for f in report.errors] == ["default-org-missing", "bad-masteryscore"]


def test_format_report(tmp_path: Path) -> None:
    broken = MANIFEST.replace('default="org"', 'default="nope"')
    text = format_report(check(tmp_path, broken, {"notes.txt": b"x"}))
    lines = text.splitlines()
    assert lines[0].startswith("error   default-org-missing  imsmanifest.xml:")
    assert lines[1].startswith("info    unlisted-files")
    assert lines[-1] == "course.zip: INVALID, 1 errors, 0 warnings, 1 infos"
