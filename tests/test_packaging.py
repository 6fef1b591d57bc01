"""The distribution is complete: every Python package folder is in the wheel, data found as resources.

pyproject.toml lists the packages by name (setuptools' find cannot ship `content/` and `templates/`
under other names), so a new package folder must be added there; this test says which one is missing.
.ci/wheel-check then builds the wheel and runs the tools from it, outside the checkout.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from courseware.packaged import content_dir, resource_dir, templates_dir
from lti_app.adapters.migrations import MIGRATIONS_DIR
from scorm_builder.cli import main

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
NOT_SHIPPED = {"tests", "benchmarks", "node_modules", "build", "sandbox_lms"}


def package_folders() -> set[str]:
    """Dotted names of the folders holding an __init__.py, with package-dir's renames applied."""
    renames = {folder: name for name, folder in SETUPTOOLS["package-dir"].items()}
    found = set()
    for init in ROOT.glob("*/**/__init__.py"):
        parts = init.parent.relative_to(ROOT).parts
        # sandbox_lms is a distribution of its own (tests/test_sandbox_boundary.py checks it stays out).
        if parts[0] in NOT_SHIPPED or parts[0].startswith("."):
            continue
        found.add(".".join((renames.get(parts[0], parts[0]), *parts[1:])))
    return found


def test_every_package_folder_is_listed_in_pyproject():
    missing = package_folders() - set(SETUPTOOLS["packages"])
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {sorted(missing)}"


def test_content_and_templates_are_found_as_installed_packages():
    assert content_dir() == ROOT / "content" and (content_dir() / "chapter.yaml").is_file()
    assert templates_dir() == ROOT / "templates" and (templates_dir() / "static" / "skarp.css").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file() and any(MIGRATIONS_DIR.glob("versions/0001_*.py"))


def test_a_missing_resource_folder_is_named():
    with pytest.raises(FileNotFoundError, match=r"no-such-folder: the installed package skarp_content"):
        resource_dir("skarp_content", "no-such-folder")


def test_build_reads_the_content_folder_from_the_option_or_the_installed_course(tmp_path):
    runner = CliRunner()
    by_option = runner.invoke(main, ["build", "--content", str(ROOT / "content"), "-o", str(tmp_path / "a")])
    by_default = runner.invoke(main, ["build", "-o", str(tmp_path / "b")])
    assert by_option.exit_code == 0, by_option.output
    assert by_default.exit_code == 0, by_default.output
    assert f"loading content from {content_dir()}" in by_default.output
    zips = sorted(path.name for path in (tmp_path / "a").glob("*.zip"))
    assert zips and zips == sorted(path.name for path in (tmp_path / "b").glob("*.zip"))
    for name in zips:  # the same course, so the same bytes (builds are reproducible)
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_build_refuses_two_different_content_folders(tmp_path):
    out = tmp_path / "out"
    args = ["build", str(tmp_path), "--content", str(ROOT / "content"), "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "two content folders given" in result.output
    assert not out.exists()
