"""The SCORM player: plays built zips against scorm-again's Scorm12API or Scorm2004API.

Course authors use it to try a package before uploading it to Moodle; the browser tests use the
same server. It binds to loopback, extracts each zip to a temporary folder and serves:

    /                      the list of packages
    /player/player.html    the LMS player (window.API or window.API_1484_11 = scorm-again),
                           ?sco=...&mode=iframe|nested|popup&scorm=1.2|2004
    /packages/<name>/...   the extracted packages
    /vendor/...            npm packages (scorm-again, axe-core) from node_modules/
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from courseware.packaged import resource_dir

PLAYER_DIR = resource_dir("scorm_builder", "player")
#: The manifest namespace of each SCORM version (IMS CP 1.1.2 for 1.2, IMS CP 1.1 for 2004).
VERSIONS = {
    "http://www.imsproject.org/xsd/imscp_rootv1p1p2": "1.2",
    "http://www.imsglobal.org/xsd/imscp_v1p1": "2004",
}


def node_modules() -> Path:
    """The npm packages the player loads (scorm-again): not Python, so not in the wheel.

    $SKARP_NODE_MODULES if set, else ./node_modules (`npm ci` in a checkout, or wherever the
    operator ran `npm install scorm-again`).
    """
    return Path(os.environ.get("SKARP_NODE_MODULES") or Path.cwd() / "node_modules").resolve()


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


def package_version(package_dir: Path) -> str:
    """ "1.2" or "2004", from the manifest's namespace: which API the player offers the package."""
    manifest = etree.parse(str(package_dir / "imsmanifest.xml"))
    return VERSIONS.get(etree.QName(manifest.getroot()).namespace or "", "1.2")


def _launches(package_dir: Path) -> list[tuple[str, str]]:
    """(title, launch href) of each SCO, in the manifest's organization order."""
    manifest = etree.parse(str(package_dir / "imsmanifest.xml"))
    ns = {"cp": etree.QName(manifest.getroot()).namespace or ""}
    resources = {r.get("identifier"): r.get("href") for r in manifest.iterfind(".//cp:resource", ns)}
    return [
        (item.findtext("cp:title", namespaces=ns) or "", resources[item.get("identifierref")])
        for item in manifest.iterfind(".//cp:organization//cp:item[@identifierref]", ns)
    ]


def _index_page(root: Path) -> str:
    rows = []
    for package_dir in sorted((root / "packages").iterdir()):
        links = []
        version = package_version(package_dir)
        for title, href in _launches(package_dir):
            sco = quote(f"/packages/{package_dir.name}/{href}")
            modes = " · ".join(
                f'<a href="/player/player.html?sco={sco}&amp;mode={mode}&amp;scorm={version}">{label}</a>'
                for mode, label in (("iframe", "in a frame"), ("popup", "as a popup"))
            )
            links.append(f"<li>{html.escape(title)}: {modes}</li>")
        rows.append(
            f"<section><h2>{html.escape(package_dir.name)}.zip (SCORM {version})</h2>"
            f"<ul>{''.join(links)}</ul></section>"
        )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Skarp SCORM player</title>"
        '<link rel="stylesheet" href="/player/sandbox.css"></head><body><main>'
        "<h1>Skarp SCORM player</h1><p>Each launch starts a fresh attempt in an LMS player whose "
        "SCORM 1.2 or 2004 API is scorm-again. The panel beside the course shows what the LMS received.</p>"
        f"{''.join(rows)}</main></body></html>"
    )


def prepare_web_root(packages: list[Path], root: Path) -> Path:
    """Lay out the served folder: extracted packages, the player, node_modules and an index page."""
    modules = node_modules()
    if not (modules / "scorm-again").is_dir():
        raise FileNotFoundError(
            f"{modules / 'scorm-again'} is missing: run `npm ci` (or `make setup`) in the checkout, "
            "or point SKARP_NODE_MODULES at a node_modules folder holding scorm-again"
        )
    for package in packages:
        with zipfile.ZipFile(package) as archive:
            archive.extractall(root / "packages" / package.stem)
    shutil.copytree(PLAYER_DIR, root / "player", ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (root / "vendor").symlink_to(modules, target_is_directory=True)
    (root / "index.html").write_text(_index_page(root), encoding="utf-8")
    return root


@contextmanager
def serve(packages: list[Path], host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve the packages in a background thread; yields the base URL."""
    with tempfile.TemporaryDirectory(prefix="skarp-player-") as folder:
        root = prepare_web_root(packages, Path(folder))
        httpd = ThreadingHTTPServer((host, port), partial(_Handler, directory=str(root)))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{host}:{httpd.server_address[1]}"
        finally:
            httpd.shutdown()
            httpd.server_close()
