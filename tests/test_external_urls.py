"""External-URL detection: the 22 ways of loading a URL from issue 8 (point 7), each its own case.

A package must be self-contained (LMSs run offline, behind CSPs, and learners' data must not leak),
so every way a page can make the browser fetch something from elsewhere is an ``external-url``
error. The first six cases were already caught; the other sixteen passed as OK before.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from scorm_builder.cli import main
from scorm_builder.package import build_packages
from scorm_builder.validate import Report, Severity, validate_files, validate_package

from .scorm12_package import package_files

HOST = "tracker.example"


def page(body: str) -> bytes:
    return (
        f"<!DOCTYPE html>\n<html>\n<head><title>x</title></head>\n<body>\n{body}\n</body>\n</html>\n".encode()
    )


def script(js: str) -> bytes:
    return page(f"<script>\n{js}\n</script>")


VECTORS: dict[str, tuple[str, bytes]] = {
    # caught before
    "html-script-src": ("index.html", page(f'<script src="https://{HOST}/a.js"></script>')),
    "html-link-href": ("index.html", page(f'<link rel="stylesheet" href="//{HOST}/a.css">')),
    "html-img-srcset": ("index.html", page(f'<img srcset="a.png 1x, https://{HOST}/b.png 2x">')),
    "css-url": ("style.css", f"body {{ background: url(https://{HOST}/bg.png); }}\n".encode()),
    "css-import": ("style.css", f'@import "https://{HOST}/x.css";\n'.encode()),
    "js-fetch": ("app.js", f'fetch("https://{HOST}/collect");\n'.encode()),
    # passed as OK before
    "css-url-escape": ("style.css", f"body {{ background: url(ht\\74ps://{HOST}/bg.png); }}\n".encode()),
    "css-image-set": (
        "style.css",
        f'h1 {{ background-image: image-set("https://{HOST}/a.png" 1x, "b.png" 2x); }}\n'.encode(),
    ),
    "js-send-beacon": ("app.js", f'navigator.sendBeacon("https://{HOST}/b", "score=1");\n'.encode()),
    "js-websocket": ("app.js", f'const ws = new WebSocket("wss://{HOST}/live");\n'.encode()),
    "js-eventsource": ("app.js", f'const es = new EventSource("https://{HOST}/events");\n'.encode()),
    "js-concatenated-scheme": ("app.js", f'const endpoint = "https:" + "//{HOST}/x";\n'.encode()),
    "js-set-attribute": ("app.js", f'img.setAttribute("src", "https://{HOST}/p.gif");\n'.encode()),
    "js-location-assignment": ("app.js", f'location = "https://{HOST}/";\n'.encode()),
    "js-utf16-file": ("app.js", f'fetch("https://{HOST}/collect");\n'.encode("utf-16")),
    "html-tab-entity": ("index.html", page(f'<img src="ht&#9;tps://{HOST}/p.gif" alt="">')),
    "html-meta-refresh": (
        "index.html",
        page(f'<meta http-equiv="refresh" content="0; url=https://{HOST}/">'),
    ),
    "html-form-action": (
        "index.html",
        page(f'<form action="https://{HOST}/post" method="post"><button>Go</button></form>'),
    ),
    "html-svg-xlink-href": (
        "index.html",
        page(
            f'<svg xmlns:xlink="http://www.w3.org/1999/xlink"><image xlink:href="https://{HOST}/i.png"/></svg>'
        ),
    ),
    "html-srcdoc": (
        "index.html",
        page(f'<iframe srcdoc="<img src=&quot;https://{HOST}/p.gif&quot;>"></iframe>'),
    ),
    "html-inline-onerror": (
        "index.html",
        page(f'<img src="missing.png" alt="" onerror="this.src=\'https://{HOST}/p.gif\'">'),
    ),
    "svg-file": (
        "icon.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg">\n'
        + f'<image href="https://{HOST}/i.png" width="1" height="1"/>\n</svg>\n'.encode(),
    ),
}


def report_for(name: str, data: bytes) -> Report:
    return validate_files(package_files(extra={name: data}))


def external(report: Report) -> list[str]:
    return [f.message for f in report.findings if f.code == "external-url" and f.severity is Severity.error]


@pytest.mark.parametrize(("name", "data"), VECTORS.values(), ids=VECTORS.keys())
def test_every_way_of_loading_an_external_url_is_an_error(name: str, data: bytes) -> None:
    report = report_for(name, data)
    messages = external(report)
    assert messages, f"not detected: {data!r}"
    assert all(HOST in m and name in m for m in messages), messages
    assert not report.ok


def test_findings_carry_the_line(tmp_path: Path) -> None:
    report = validate_package_of(
        tmp_path, "index.html", script("let a = 1;\nnavigator.sendBeacon('https://x.example/b');")
    )
    (finding,) = [f for f in report.findings if f.code == "external-url"]
    assert finding.location == "index.html:7"


def validate_package_of(tmp_path: Path, name: str, data: bytes) -> Report:
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, content in package_files(extra={name: data}).items():
            zf.writestr(entry, content)
    return validate_package(path)


MORE: dict[str, tuple[str, bytes]] = {
    "js-window-open": ("app.js", f'window.open("https://{HOST}/w");\n'.encode()),
    "js-xhr-open": ("app.js", f'xhr.open("POST", "https://{HOST}/x");\n'.encode()),
    "js-import-scripts": ("worker.js", f'importScripts("https://{HOST}/w.js");\n'.encode()),
    "js-dynamic-import": ("app.js", f'import("https://{HOST}/m.js").then(go);\n'.encode()),
    "js-variable": ("app.js", f'const API = "https://{HOST}/api";\nfetch(API + "/score");\n'.encode()),
    "js-bracket-property": ("app.js", f'navigator["sendBeacon"]("https://{HOST}/b");\n'.encode()),
    "js-location-href": ("app.js", f'window.location.href = "https://{HOST}/";\n'.encode()),
    "js-inner-html": ("app.js", f"el.innerHTML = '<img src=\"https://{HOST}/p.gif\">';\n".encode()),
    "js-style-url": ("app.js", f'el.style.background = "url(https://{HOST}/p.gif)";\n'.encode()),
    "html-javascript-url": ("index.html", page(f"<a href=\"javascript:fetch('https://{HOST}/x')\">x</a>")),
    "html-ping": ("index.html", page(f'<a href="more.html" ping="https://{HOST}/ping">x</a>')),
    "html-base-href": ("index.html", page(f'<base href="https://{HOST}/">')),
    "html-formaction": ("index.html", page(f'<button formaction="https://{HOST}/p">x</button>')),
    "html-data-url-iframe": (
        "index.html",
        page(f'<iframe src="data:text/html,%3Cimg%20src%3D%22https://{HOST}/p.gif%22%3E"></iframe>'),
    ),
    "html-backslashes": ("index.html", page(f'<img src="\\\\{HOST}/p.gif" alt="">')),
    "svg-stylesheet-pi": (
        "icon.svg",
        f'<?xml-stylesheet href="https://{HOST}/s.css"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n'.encode(),
    ),
    "css-font-face": (
        "style.css",
        f'@font-face {{ font-family: x; src: url("https://{HOST}/f.woff2"); }}'.encode(),
    ),
    "css-escaped-function-name": ("style.css", f"a {{ background: \\75rl(https://{HOST}/a.png); }}".encode()),
    "css-escaped-import": ("style.css", f'@\\69mport "https://{HOST}/i.css";'.encode()),
    "css-unquoted-url-with-spaces": (
        "style.css",
        f"a {{ background: url(  https://{HOST}/a.png  ); }}".encode(),
    ),
    "html-style-element": (
        "index.html",
        page(f"<style>\nbody {{ background: url(//{HOST}/b.png) }}\n</style>"),
    ),
    "html-utf16-page": (
        "index.html",
        page(f'<img src="https://{HOST}/p.gif" alt="">').decode().encode("utf-16"),
    ),
}


@pytest.mark.parametrize(("name", "data"), MORE.values(), ids=MORE.keys())
def test_more_ways_of_loading_an_external_url(name: str, data: bytes) -> None:
    assert external(report_for(name, data)), f"not detected: {data!r}"


SAFE: dict[str, tuple[str, bytes]] = {
    "svg-namespace-string": (
        "app.js",
        b'const ns = "http://www.w3.org/2000/svg";\ndoc.createElementNS(ns, "g");\n',
    ),
    "css-namespace-rule": ("style.css", b'@namespace svg url("http://www.w3.org/2000/svg");\n'),
    "css-content-string": ("style.css", b'a::after { content: "https://example.com"; }\n'),
    "css-url-in-string-and-comment": (
        "style.css",
        b'a { content: "url(https://x.example)"; } /* url(//x.example) */',
    ),
    "js-replace": ("app.js", b'text.replace("http", "https://example.com");\n'),
    "js-fetch-variable": ("app.js", b"fetch(url);\nfetch(base + '/x');\n"),
    "js-comment": ("app.js", b'// fetch("https://example.com/x")\n/* location = "https://x.example" */\n'),
    "local-urls": ("index.html", page('<img src="img/a.png" alt=""><script src="app.js"></script>')),
    "data-url-image": ("index.html", page('<img src="data:image/png;base64,iVBORw0KGgo=" alt="">')),
    "html-in-attribute-text": ("index.html", page('<p title="see https://example.com">x</p>')),
    "svg-namespaces": (
        "icon.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<use href="#a"/></svg>',
    ),
}


@pytest.mark.parametrize(("name", "data"), SAFE.values(), ids=SAFE.keys())
def test_no_false_alarm(name: str, data: bytes) -> None:
    report = report_for(name, data)
    assert not external(report), external(report)


def test_a_link_is_still_only_a_warning() -> None:
    report = report_for("index.html", page('<a href="https://example.com/more">More</a>'))
    assert [f.code for f in report.findings if f.code.startswith("external")] == ["external-link"]
    assert report.ok


def test_svg_entities_are_an_error() -> None:
    svg = (
        b'<!DOCTYPE svg [<!ENTITY h "https">]>\n<svg xmlns="http://www.w3.org/2000/svg">'
        b'<image href="&h;://tracker.example/i.png"/></svg>'
    )
    report = report_for("icon.svg", svg)
    assert "xml-entity" in {f.code for f in report.errors}


def test_shipped_packages_validate_clean_in_strict_mode(content, tmp_path: Path) -> None:
    built = build_packages(content, tmp_path) + build_packages(content, tmp_path / "multi", multi_sco=True)
    result = CliRunner().invoke(main, ["validate", "--strict", *(str(p.path) for p in built)])
    assert result.exit_code == 0, result.output
    assert not [line for line in result.output.splitlines() if line.startswith(("error", "warning"))]
