"""A minimal valid SCORM 1.2 package to break one thing at a time, and readers of the validator's report.

Shared by the validator tests (test_validate_package.py, test_validate_manifest.py,
test_validate_references.py).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from scorm_builder.schema import SCHEMA_FILES
from scorm_builder.validate import Finding, Report, format_report, validate_package

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
