"""Shared fixtures: the real content, packages built from it, a loopback web server, and Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from courseware import CourseContent, load_content
from scorm_builder.package import BuiltPackage, build_packages
from scorm_builder.player import serve

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
# The SCORM player serves scorm-again from node_modules: this checkout's, wherever pytest runs from.
os.environ.setdefault("SKARP_NODE_MODULES", str(ROOT / "node_modules"))
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def content() -> CourseContent:
    return load_content(CONTENT_DIR)


@pytest.fixture(scope="session")
def built(content: CourseContent, tmp_path_factory: pytest.TempPathFactory) -> dict[str, BuiltPackage]:
    """Every package the builder makes (single SCO, multi SCO, knowledge check), by layout name."""
    out = tmp_path_factory.mktemp("dist")
    packages = build_packages(content, out) + build_packages(content, out, multi_sco=True)
    return {package.layout.name: package for package in packages}


@pytest.fixture(scope="session")
def server(built: dict[str, BuiltPackage]) -> Iterator[str]:
    """The SCORM player (scorm_builder.player) on 127.0.0.1: packages and player share its origin."""
    with serve([package.path for package in built.values()]) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium (the Makefile's setup does)"
        )
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.errors = []  # uncaught script errors in any frame: every browser test asserts there are none
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    context.on("page", lambda popup: popup.on("pageerror", lambda error: page.errors.append(str(error))))
    yield page
    context.close()
