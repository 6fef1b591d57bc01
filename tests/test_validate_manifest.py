"""SCORM 1.2 package validator, the manifest: where it is, its XML and schema, organizations and
identifiers, resources and adlcp values; each defect gets its own finding."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorm_builder.validate import (
    Severity,
    validate_package,
)

from .scorm12_package import MANIFEST, check, codes, line_of, only, package_files, with_resource, write_zip

# --------------------------------------------------------------------------- manifest location and XML


def test_manifest_in_subfolder(tmp_path: Path) -> None:
    files = {f"course/{name}": data for name, data in package_files().items()}
    report = validate_package(write_zip(tmp_path, files))
    finding = only(report, "manifest-not-at-root")
    assert finding.severity is Severity.error
    assert "course/imsmanifest.xml" in finding.message and "root" in finding.message
    assert codes(report) == {"manifest-not-at-root"}  # hrefs are still checked, relative to the folder


def test_missing_manifest(tmp_path: Path) -> None:
    files = package_files()
    del files["imsmanifest.xml"]
    finding = only(validate_package(write_zip(tmp_path, files)), "manifest-missing")
    assert finding.severity is Severity.error
    assert "imsmanifest.xml" in finding.message


def test_manifest_name_with_wrong_case(tmp_path: Path) -> None:
    files = package_files()
    files["IMSManifest.xml"] = files.pop("imsmanifest.xml")
    assert "manifest-name-case" in codes(validate_package(write_zip(tmp_path, files)))


def test_malformed_manifest(tmp_path: Path) -> None:
    broken = MANIFEST.replace("</organization>\n", "")
    finding = only(check(tmp_path, broken), "manifest-malformed")
    assert finding.severity is Severity.error
    assert finding.location.startswith("imsmanifest.xml:")
    assert "not well-formed" in finding.message


def test_schema_violation(tmp_path: Path) -> None:
    broken = MANIFEST.replace("<title>Course</title>", "<title>Course</title><bogus/>")
    finding = only(check(tmp_path, broken), "schema")
    assert finding.severity is Severity.error
    assert finding.location == f"imsmanifest.xml:{line_of(broken, '<bogus/>')}"
    assert "bogus" in finding.message


def test_wrong_schemaversion(tmp_path: Path) -> None:
    broken = MANIFEST.replace("<schemaversion>1.2</schemaversion>", "<schemaversion>CAM 1.3</schemaversion>")
    finding = only(check(tmp_path, broken), "metadata-schemaversion")
    assert finding.severity is Severity.error
    assert "'CAM 1.3'" in finding.message and "'1.2'" in finding.message
    assert finding.location == f"imsmanifest.xml:{line_of(broken, 'schemaversion')}"


def test_wrong_metadata_schema(tmp_path: Path) -> None:
    broken = MANIFEST.replace("<schema>ADL SCORM</schema>", "<schema>IMS Content</schema>")
    assert only(check(tmp_path, broken), "metadata-schema").severity is Severity.error


def test_scorm_2004_namespace_with_a_12_schemaversion_is_named(tmp_path: Path) -> None:
    other = MANIFEST.replace(
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2", "http://www.imsglobal.org/xsd/imscp_v1p1"
    )
    report = check(tmp_path, other)
    assert {"manifest-namespace", "metadata-schemaversion"} <= codes(report)
    named = only(report, "manifest-namespace")
    assert "'1.2'" in named.message and "http://www.imsproject.org/xsd/imscp_rootv1p1p2" in named.message


# --------------------------------------------------------------------------- organizations and identifiers


def test_default_organization_must_exist(tmp_path: Path) -> None:
    broken = MANIFEST.replace('default="org"', 'default="nope"')
    finding = only(check(tmp_path, broken), "default-org-missing")
    assert finding.severity is Severity.error
    assert "'nope'" in finding.message and "'org'" in finding.message


def test_no_organization_is_a_warning(tmp_path: Path) -> None:
    start, end = MANIFEST.index("    <organization "), MANIFEST.index("  </organizations>")
    empty = (MANIFEST[:start] + MANIFEST[end:]).replace(' default="org"', "")
    report = check(tmp_path, empty)
    assert only(report, "no-organization").severity is Severity.warning
    assert report.ok


def test_dangling_item_identifierref(tmp_path: Path) -> None:
    broken = MANIFEST.replace('identifierref="res1"', 'identifierref="missing_res"')
    finding = only(check(tmp_path, broken), "dangling-identifierref")
    assert finding.severity is Severity.error
    assert "'missing_res'" in finding.message and "'item1'" in finding.message


def test_duplicate_identifier(tmp_path: Path) -> None:
    broken = MANIFEST.replace('<item identifier="item1"', '<item identifier="res1"')
    finding = only(check(tmp_path, broken), "duplicate-identifier")
    assert finding.severity is Severity.error
    assert "'res1'" in finding.message


def test_dangling_dependency(tmp_path: Path) -> None:
    broken = MANIFEST.replace(
        '<file href="index.html"/>', '<file href="index.html"/><dependency identifierref="libs"/>'
    )
    finding = only(check(tmp_path, broken), "dangling-dependency")
    assert finding.severity is Severity.error
    assert "'libs'" in finding.message


# --------------------------------------------------------------------------- resources and adlcp


def test_adlcp_namespace_with_another_prefix(tmp_path: Path) -> None:
    renamed = MANIFEST.replace("xmlns:adlcp=", "xmlns:scorm=").replace("adlcp:", "scorm:")
    report = check(tmp_path, renamed)
    finding = only(report, "adlcp-prefix")
    assert finding.severity is Severity.error
    assert "'scorm'" in finding.message and "'adlcp'" in finding.message
    assert codes(report) == {"adlcp-prefix"}  # the XML itself is schema-valid


def test_missing_scormtype_is_a_warning(tmp_path: Path) -> None:
    report = check(tmp_path, MANIFEST.replace(' adlcp:scormtype="sco"', ""))
    finding = only(report, "scormtype-missing")
    assert finding.severity is Severity.warning and "'res1'" in finding.message
    assert report.ok


def test_sco_without_href(tmp_path: Path) -> None:
    report = check(
        tmp_path, with_resource('    <resource identifier="res2" type="webcontent" adlcp:scormtype="sco"/>')
    )
    finding = only(report, "sco-missing-href")
    assert finding.severity is Severity.error and "'res2'" in finding.message


def test_sco_launching_a_pdf_is_a_warning(tmp_path: Path) -> None:
    manifest = MANIFEST.replace('href="index.html">', 'href="doc.pdf">')
    report = check(tmp_path, manifest, {"doc.pdf": b"%PDF"})
    assert only(report, "sco-launch-not-html").severity is Severity.warning
    assert "'doc.pdf'" in only(report, "sco-launch-not-html").message


@pytest.mark.parametrize("score", ["150", "-1", "abc", ""])
def test_bad_masteryscore(tmp_path: Path, score: str) -> None:
    broken = MANIFEST.replace(">80<", f">{score}<")
    finding = only(check(tmp_path, broken), "bad-masteryscore")
    assert finding.severity is Severity.error
    assert repr(score) in finding.message
    assert finding.location == f"imsmanifest.xml:{line_of(broken, 'masteryscore')}"


def test_masteryscore_may_be_decimal(tmp_path: Path) -> None:
    assert check(tmp_path, MANIFEST.replace(">80<", ">75.5<")).findings == []


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        ("<adlcp:maxtimeallowed>30 minutes</adlcp:maxtimeallowed>", "bad-maxtimeallowed"),
        ("<adlcp:maxtimeallowed>00:75:00</adlcp:maxtimeallowed>", "bad-maxtimeallowed"),
        ("<adlcp:timelimitaction>stop</adlcp:timelimitaction>", "bad-timelimitaction"),
    ],
)
def test_time_limits(tmp_path: Path, xml: str, code: str) -> None:
    broken = MANIFEST.replace("<adlcp:masteryscore>", f"{xml}<adlcp:masteryscore>")
    finding = only(check(tmp_path, broken), code)
    assert finding.severity is Severity.error


def test_valid_time_limits(tmp_path: Path) -> None:
    limits = (
        "<adlcp:maxtimeallowed>00:30:00</adlcp:maxtimeallowed>"
        "<adlcp:timelimitaction>exit,message</adlcp:timelimitaction>"
    )
    assert check(tmp_path, MANIFEST.replace("<adlcp:masteryscore>", f"{limits}<adlcp:masteryscore>")).ok
