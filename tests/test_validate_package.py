"""SCORM 1.2 package validator: real manifests pass, and each kind of defect gets its own finding."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from scorm_builder.schema import SCHEMA_FILES, manifest_schema, schema_errors
from scorm_builder.validate import (
    Finding,
    Report,
    Severity,
    format_report,
    validate_files,
    validate_package,
)

DATA = Path(__file__).parent / "data"
EXAMPLES = sorted(DATA.glob("*-imsmanifest.xml"))

MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.course" version="1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd
        http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd
        http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd">
  <metadata>
    <schema>ADL SCORM</schema>
    <schemaversion>1.2</schemaversion>
  </metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Course</title>
      <item identifier="item1" identifierref="res1">
        <title>Lesson</title>
        <adlcp:masteryscore>80</adlcp:masteryscore>
      </item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="res1" type="webcontent" adlcp:scormtype="sco" href="index.html">
      <file href="index.html"/>
    </resource>
  </resources>
</manifest>
"""

INDEX = b"""<!DOCTYPE html>
<html>
<head><title>Lesson</title></head>
<body><p>Hello</p></body>
</html>
"""


def package_files(manifest: str = MANIFEST, extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """A minimal valid SCORM 1.2 package: manifest, one SCO page and the four XSDs at the root."""
    files = {"imsmanifest.xml": manifest.encode(), "index.html": INDEX}
    files.update({p.name: p.read_bytes() for p in SCHEMA_FILES})
    files.update(extra or {})
    return files


def write_zip(tmp_path: Path, files: dict[str, bytes], name: str = "course.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, data in files.items():
            zf.writestr(entry, data)
    return path


def check(tmp_path: Path, manifest: str = MANIFEST, extra: dict[str, bytes] | None = None) -> Report:
    return validate_package(write_zip(tmp_path, package_files(manifest, extra)))


def with_resource(extra_xml: str) -> str:
    """The minimal manifest with more XML appended inside <resources>."""
    return MANIFEST.replace("  </resources>", f"{extra_xml}\n  </resources>")


def only(report: Report, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, format_report(report)
    return found[0]


def codes(report: Report) -> set[str]:
    return {f.code for f in report.findings}


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


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


# --------------------------------------------------------------------------- hrefs


def test_missing_file(tmp_path: Path) -> None:
    broken = MANIFEST.replace(
        '<file href="index.html"/>', '<file href="index.html"/><file href="js/missing.js"/>'
    )
    finding = only(check(tmp_path, broken), "href-missing-file")
    assert finding.severity is Severity.error
    assert "'js/missing.js'" in finding.message
    assert finding.location == f"imsmanifest.xml:{line_of(broken, 'missing.js')}"


def test_missing_file_names_a_case_mismatch(tmp_path: Path) -> None:
    broken = MANIFEST.replace('<file href="index.html"/>', '<file href="index.html"/><file href="Logo.PNG"/>')
    finding = only(check(tmp_path, broken, {"logo.png": b"x"}), "href-missing-file")
    assert "'logo.png'" in finding.message


def test_hrefs_are_decoded_and_stripped(tmp_path: Path) -> None:
    manifest = MANIFEST.replace('href="index.html">', 'href="my%20page.html?lang=en#start">').replace(
        '<file href="index.html"/>', '<file href="my%20page.html"/><file href="./index.html"/>'
    )
    assert check(tmp_path, manifest, {"my page.html": INDEX}).findings == []


def test_href_escaping_the_root(tmp_path: Path) -> None:
    broken = MANIFEST.replace(
        '<file href="index.html"/>', '<file href="index.html"/><file href="../shared/lib.js"/>'
    )
    finding = only(check(tmp_path, broken), "path-escapes-root")
    assert finding.severity is Severity.error
    assert "'../shared/lib.js'" in finding.message
    assert finding.location.startswith("imsmanifest.xml:")


def test_external_launch_is_a_warning(tmp_path: Path) -> None:
    manifest = MANIFEST.replace('href="index.html">', 'href="https://example.com/course">')
    report = check(tmp_path, manifest)
    finding = only(report, "external-launch")
    assert finding.severity is Severity.warning
    assert "https://example.com/course" in finding.message
    assert report.ok


def test_xml_base_is_resolved_with_a_warning(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        '<resource identifier="res1"', '<resource xml:base="content/" identifier="res1"'
    )
    files = package_files(manifest)
    files["content/index.html"] = files.pop("index.html")
    report = validate_package(write_zip(tmp_path, files))
    finding = only(report, "xml-base")
    assert finding.severity is Severity.warning
    assert "'content/'" in finding.message
    assert report.ok, format_report(report)


def test_xml_base_applies_to_missing_files(tmp_path: Path) -> None:
    manifest = MANIFEST.replace("<resources>", '<resources xml:base="content/">')
    finding = next(f for f in check(tmp_path, manifest).errors if f.code == "href-missing-file")
    assert "'content/index.html'" in finding.message


def test_unlisted_files_are_summarised(tmp_path: Path) -> None:
    extra = {f"extra/file{i}.txt": b"x" for i in range(7)}
    finding = only(check(tmp_path, extra=extra), "unlisted-files")
    assert finding.severity is Severity.info
    assert "7 file(s)" in finding.message and "extra/file0.txt" in finding.message
    assert "2 more" in finding.message
    assert "imsmanifest.xml" not in finding.message and ".xsd" not in finding.message


# --------------------------------------------------------------------------- content


def test_external_script_src_in_html(tmp_path: Path) -> None:
    page = INDEX.replace(b"<title>", b'<script src="https://cdn.example.com/lib.js"></script>\n<title>')
    finding = only(check(tmp_path, extra={"index.html": page}), "external-url")
    assert finding.severity is Severity.error
    assert finding.location == "index.html:3"
    assert "index.html" in finding.message and "https://cdn.example.com/lib.js" in finding.message
    assert "<script src>" in finding.message


@pytest.mark.parametrize(
    "markup",
    [
        b'<link rel="stylesheet" href="//fonts.example.com/css">',
        b'<img srcset="a.png 1x, http://img.example.com/b.png 2x">',
        b'<div style="background: url(https://img.example.com/bg.png)"></div>',
        b'<style>\n@import "https://fonts.example.com/x.css";\n</style>',
        b'<script>\nfetch("https://api.example.com/track");\n</script>',
    ],
)
def test_other_external_loads_in_html(tmp_path: Path, markup: bytes) -> None:
    page = INDEX.replace(b"<p>Hello</p>", markup)
    finding = only(check(tmp_path, extra={"index.html": page}), "external-url")
    assert finding.severity is Severity.error and "example.com" in finding.message


def test_external_url_in_css(tmp_path: Path) -> None:
    css = (
        b"body { color: red; }\n/* url(http://commented.example.com/x.png) */\n"
        b"h1 { background: url('https://img.example.com/bg.png'); }\n"
    )
    manifest = MANIFEST.replace(
        '<file href="index.html"/>', '<file href="index.html"/><file href="style.css"/>'
    )
    finding = only(check(tmp_path, manifest, {"style.css": css}), "external-url")
    assert finding.severity is Severity.error
    assert finding.location == "style.css:3"
    assert "style.css" in finding.message and "https://img.example.com/bg.png" in finding.message


def test_css_import_and_js_fetch(tmp_path: Path) -> None:
    extra = {
        "a.css": b'@import url("https://fonts.example.com/x.css");\n',
        "b.js": b'const svg = "http://www.w3.org/2000/svg";\n'
        b'import lib from "https://cdn.example.com/m.js";\n',
    }
    report = check(tmp_path, extra=extra)
    locations = {f.location for f in report.errors if f.code == "external-url"}
    assert locations == {"a.css:1", "b.js:2"}


def test_external_link_is_only_a_warning(tmp_path: Path) -> None:
    page = INDEX.replace(b"<p>Hello</p>", b'<p><a href="https://example.com/more">More</a></p>')
    report = check(tmp_path, extra={"index.html": page})
    finding = only(report, "external-link")
    assert finding.severity is Severity.warning
    assert "index.html" in finding.message and "https://example.com/more" in finding.message
    assert report.ok


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
