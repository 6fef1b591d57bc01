"""SCORM 2004 4th Edition packages: the manifest against the shipped schema set, the sequencing, the
build (deterministic, the 2004 suspend_data budget), the CLI, and `validate` on good and broken zips."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from scorm_builder.cli import main
from scorm_builder.formats.scorm2004 import SCORM2004, build
from scorm_builder.package import BuildError, build_packages
from scorm_builder.schema2004 import ADLCP_NS, IMSCP_NS, IMSSS_NS, SCHEMA_DIR, SCHEMA_FILES
from scorm_builder.validate import Severity, validate_package

NS = {"cp": IMSCP_NS, "ss": IMSSS_NS, "adlcp": ADLCP_NS}
NAMES = {
    "single": "ch14-service-value-chain-scorm2004",
    "multi": "ch14-service-value-chain-multi-sco-scorm2004",
    "check": "ch14-knowledge-check-scorm2004",
}


@pytest.fixture(scope="module")
def zips(content, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist2004")
    built = build(content, out) + build(content, out, multi_sco=True)
    return {package.layout.name: package.path for package in built}


def read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def manifest(path: Path) -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(read(path)["imsmanifest.xml"]))


def shipped_schema() -> etree.XMLSchema:
    """The shipped set compiled straight from its folder (no resolver): what an XSD tool would do."""
    imports = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(SCHEMA_DIR / xsd).as_uri()}"/>'
        for ns, xsd in (
            (IMSCP_NS, "imscp_v1p1.xsd"),
            (ADLCP_NS, "adlcp_v1p3.xsd"),
            ("http://www.adlnet.org/xsd/adlseq_v1p3", "adlseq_v1p3.xsd"),
            ("http://www.adlnet.org/xsd/adlnav_v1p3", "adlnav_v1p3.xsd"),
            (IMSSS_NS, "imsss_v1p0.xsd"),
        )
    )
    wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{imports}</xsd:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


# --- the schema set ------------------------------------------------------------------------------


def test_schema_files_match_their_recorded_checksums():
    table = (SCHEMA_DIR / "SOURCES.md").read_text(encoding="utf-8")
    recorded = dict(re.findall(r"^\| ([\w.]+) \| ([0-9a-f]{64}) \|$", table, re.MULTILINE))
    assert sorted(recorded) == sorted(p.name for p in SCHEMA_FILES)
    for path in SCHEMA_FILES:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == recorded[path.name], path.name


@pytest.mark.parametrize("layout", sorted(NAMES))
def test_manifest_is_valid_against_the_shipped_2004_schemas(zips, layout):
    files = read(zips[NAMES[layout]])
    schema = shipped_schema()
    tree = etree.ElementTree(etree.fromstring(files["imsmanifest.xml"]))
    assert schema.validate(tree), [f"line {e.line}: {e.message}" for e in schema.error_log]
    assert tree.findtext("cp:metadata/cp:schemaversion", namespaces=NS) == "2004 4th Edition"
    for path in SCHEMA_FILES:  # the package carries the set, byte for byte
        assert files[path.name] == path.read_bytes()


def test_the_schema_catches_a_bad_sequencing_element(zips):
    data = read(zips[NAMES["multi"]])["imsmanifest.xml"]
    broken = data.replace(b'<imsss:controlMode choice="true"', b'<imsss:controlMode choise="true"', 1)
    assert broken != data
    schema = shipped_schema()
    assert not schema.validate(etree.ElementTree(etree.fromstring(broken)))
    assert "choise" in str(schema.error_log)


# --- sequencing ----------------------------------------------------------------------------------


def test_multi_sco_sequencing_flow_choice_and_rollup_from_the_knowledge_check(zips, content):
    tree = manifest(zips[NAMES["multi"]])
    organization = tree.find("cp:organizations/cp:organization", NS)
    control = organization.find("ss:sequencing/ss:controlMode", NS)
    assert (control.get("choice"), control.get("flow")) == ("true", "true")
    actions = [
        rule.find("ss:rollupAction", NS).get("action")
        for rule in organization.iterfind("ss:sequencing/ss:rollupRules/ss:rollupRule", NS)
    ]
    assert actions == ["satisfied", "notSatisfied", "completed", "incomplete"]

    items = organization.findall("cp:item", NS)
    graded = [item for item in items if item.find("ss:sequencing/ss:objectives", NS) is not None]
    assert [item.get("identifier") for item in graded] == ["ITEM-knowledge-check"]
    for item in items:
        rollup = item.find("ss:sequencing/ss:rollupRules", NS)
        contributes = rollup is None or rollup.get("rollupObjectiveSatisfied") != "false"
        assert contributes == (item in graded), item.get("identifier")
    objectives = graded[0].find("ss:sequencing/ss:objectives", NS)
    assert objectives.find("ss:primaryObjective", NS).get("satisfiedByMeasure") is None, (
        "the SCO applies the pass rule; the LMS must not re-decide it from a rounded measure"
    )
    quiz_objectives = list(dict.fromkeys(p.item.objective for p in content.chapter.parts if p.kind == "quiz"))
    assert [o.get("objectiveID") for o in objectives.findall("ss:objective", NS)] == quiz_objectives


def test_every_resource_has_a_scorm_type(zips):
    for name in NAMES.values():
        for resource in manifest(zips[name]).iterfind("cp:resources/cp:resource", NS):
            expected = "sco" if resource.get("href") else "asset"
            assert resource.get(f"{{{ADLCP_NS}}}scormType") == expected


# --- the build -----------------------------------------------------------------------------------


def test_two_builds_are_byte_identical(content, zips, tmp_path):
    again = build(content, tmp_path) + build(content, tmp_path, multi_sco=True)
    for package in again:
        assert package.path.read_bytes() == zips[package.layout.name].read_bytes(), package.layout.name


def test_the_2004_suspend_data_budget_is_64000_and_enforced(content, tmp_path):
    assert SCORM2004.suspend_data_limit == 64000
    with pytest.raises(BuildError, match="more than 10 characters of suspend_data"):
        build_packages(content, tmp_path, standard=dataclasses.replace(SCORM2004, suspend_data_limit=10))
    assert list(tmp_path.iterdir()) == []


def test_cli_builds_and_validates_scorm2004(tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(main, ["build", "--help"]).output
    assert "scorm12" in help_text and "scorm2004" in help_text
    result = runner.invoke(main, ["build", "--format", "scorm2004", "--multi-sco", "-q", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in tmp_path.glob("*.zip"))
    assert written == [f"{NAMES['check']}.zip", f"{NAMES['multi']}.zip"]
    checked = runner.invoke(main, ["validate", *(str(p) for p in sorted(tmp_path.glob("*.zip")))])
    assert checked.exit_code == 0, checked.output
    assert checked.output.count("OK, 0 errors, 0 warnings") == 2


# --- validate on broken 2004 packages ------------------------------------------------------------


def rezip(tmp_path: Path, files: dict[str, bytes], name: str = "broken.zip") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in files.items():
            archive.writestr(entry, data)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def broken(tmp_path: Path, zips, old: bytes, new: bytes, drop: str | None = None):
    files = read(zips[NAMES["multi"]])
    assert old in files["imsmanifest.xml"]
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(old, new, 1)
    if drop:
        del files[drop]
    report = validate_package(rezip(tmp_path, files))
    return report, {f.code: f for f in report.findings if f.severity is Severity.error}


def test_validate_reports_a_bad_sequencing_element(tmp_path, zips):
    good = b'<imsss:deliveryControls completionSetByContent="true"'
    report, errors = broken(tmp_path, zips, good, b'<imsss:deliveryControl x="1"')
    assert not report.ok and "schema" in errors
    assert "imsss:deliveryControl" in errors["schema"].message, errors["schema"].message
    assert errors["schema"].location.startswith("imsmanifest.xml:")


def test_validate_reports_a_missing_scorm_type(tmp_path, zips):
    report, errors = broken(tmp_path, zips, b' adlcp:scormType="asset"', b"")
    assert not report.ok
    finding = errors["scormtype-missing"]
    assert "RES-common" in finding.message and "adlcp:scormType" in finding.message


def test_validate_reports_a_reference_to_a_missing_file(tmp_path, zips):
    report, errors = broken(tmp_path, zips, b"x", b"x", drop="plan.html")
    assert not report.ok
    assert "'RES-plan'" in errors["href-missing-file"].message
    assert "'plan.html' is not in the zip" in errors["href-missing-file"].message


def test_validate_names_a_2004_schemaversion_in_a_12_namespace(tmp_path, zips):
    files = read(zips[NAMES["check"]])
    files["imsmanifest.xml"] = files["imsmanifest.xml"].replace(b"2004 4th Edition", b"1.2")
    report = validate_package(rezip(tmp_path, files))
    codes = {f.code for f in report.findings if f.severity is Severity.error}
    assert {"manifest-namespace", "metadata-schemaversion"} <= codes
