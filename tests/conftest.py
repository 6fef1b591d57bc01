"""Shared fixtures: the real content, packages built from it, a loopback web server, and Chromium."""

from __future__ import annotations

import functools
import os
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from courseware import CourseContent, load_content
from scorm_builder.package import BuiltPackage, build_packages

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
NODE_MODULES = ROOT / "node_modules"
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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


@pytest.fixture(scope="session")
def web_root(built: dict[str, BuiltPackage], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Extracted packages under /packages/<name>/, the test player under /player/, npm under /vendor/."""
    root = tmp_path_factory.mktemp("www")
    for name, package in built.items():
        with zipfile.ZipFile(package.path) as archive:
            archive.extractall(root / "packages" / name)
    shutil.copytree(Path(__file__).parent / "player", root / "player")
    if not NODE_MODULES.is_dir():
        pytest.fail("node_modules/ is missing: run `npm ci` (the Makefile's setup does)")
    (root / "vendor").symlink_to(NODE_MODULES, target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def server(web_root: Path) -> Iterator[str]:
    """A static web server on 127.0.0.1 (the SCO and the player share its origin, as in an LMS)."""
    handler = functools.partial(_QuietHandler, directory=str(web_root))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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
