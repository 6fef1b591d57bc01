"""SCORM 1.2 package validator, what the package refers to: manifest hrefs (missing, escaping, external,
xml:base, unlisted files) and external URLs in its HTML, CSS and JavaScript."""

from __future__ import annotations

from pathlib import Path

import pytest

from scorm_builder.validate import (
    Severity,
    format_report,
    validate_package,
)

from .scorm12_package import INDEX, MANIFEST, check, line_of, only, package_files, write_zip

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
