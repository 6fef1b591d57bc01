"""External URLs in HTML and SVG, read with the standard library's HTML parser.

The parser decodes character references in attribute values the way a browser does, so
``ht&#9;tps://`` is seen as the URL the browser fetches. Every attribute that makes the browser load
or submit something is checked (``src``, ``href``, ``srcset``, ``action``, ``ping``, SVG
``xlink:href``, meta refresh...); ``srcdoc`` is parsed as a page of its own, inline event handlers
(``onerror``...) and ``<script>`` with the JavaScript heuristic, ``style`` and ``<style>`` as CSS.
SVG files are read the same way; an XML entity declaration there is an error, since a browser
expands entities this check does not (``<!ENTITY h "https">`` hides a URL).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from scorm_builder.validation.urls import SCANNERS, Scan

LOADING_ATTRS = frozenset(
    {
        "src",
        "href",
        "xlink:href",
        "data",
        "poster",
        "background",
        "action",
        "formaction",
        "codebase",
        "manifest",
        "lowsrc",
        "dynsrc",
        "icon",
    }
)
SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
NAVIGATION = frozenset({"a", "area"})
_PARAM_NAMES = frozenset({"movie", "src", "url", "href", "filename", "source"})
_REFRESH = re.compile(r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?['\"]?([^'\"]*)", re.IGNORECASE)
_PSEUDO_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY_DECL = re.compile(r"<!ENTITY", re.IGNORECASE)


class _Page(HTMLParser):
    def __init__(self, scan: Scan, first_line: int):
        super().__init__(convert_charrefs=True)
        self.scan = scan
        self.first_line = first_line
        self.raw: tuple[str, str] | None = None  # (tag, scanner kind) while inside <script>/<style>

    def line(self) -> int:
        return self.first_line + self.getpos()[0] - 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.element(tag, attrs)
        if tag in ("script", "style"):
            kind = "css" if tag == "style" else "js"
            script_type = (dict(attrs).get("type") or "").lower()
            if "html" in script_type or "template" in script_type:
                kind = "html"
            self.raw = (tag, kind)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if self.raw and self.raw[0] == tag:
            self.raw = None

    def handle_data(self, data: str) -> None:
        if self.raw and data.strip():
            self.scan.embedded(
                self.raw[1], data, self.line(), f"<{self.raw[0]}>" if self.raw[1] == "html" else ""
            )

    def handle_pi(self, data: str) -> None:
        if data.lower().startswith("xml-stylesheet"):
            match = _PSEUDO_HREF.search(data)
            if match:
                self.scan.load(match.group(1) or match.group(2) or "", self.line(), "<?xml-stylesheet?>")

    def element(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        scan, line = self.scan, self.line()
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            where = f"<{tag} {name}>"
            if name in LOADING_ATTRS:
                if tag in NAVIGATION and name in ("href", "xlink:href"):
                    scan.link(value, line, where)
                else:
                    scan.load(value, line, where)
            elif name in SRCSET_ATTRS:
                for candidate in value.split(","):
                    if candidate.split():
                        scan.load(candidate.split()[0], line, where)
            elif name == "ping":
                for url in value.split():
                    scan.load(url, line, where)
            elif name == "srcdoc":
                scan.embedded("html", value, line, where)
            elif name == "style":
                scan.embedded("css-inline", value, line, where)
            elif name.startswith("on"):
                scan.embedded("js", value, line, where)
        if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
            match = _REFRESH.match(values.get("content", ""))
            if match and match.group(1).strip():
                scan.load(match.group(1), line, "<meta http-equiv=refresh>")
        if tag == "param" and values.get("name", "").lower() in _PARAM_NAMES:
            scan.load(values.get("value", ""), line, "<param value>")


def scan_html(scan: Scan, text: str, first_line: int) -> None:
    page = _Page(scan, first_line)
    try:
        page.feed(text)
        page.close()
    except AssertionError as exc:  # html.parser gives up on some declarations (`<![x[`)
        scan.problem(
            "content-unparsable",
            f"cannot be read as HTML ({exc}); it was not fully checked for external URLs",
            page.line(),
        )


def scan_xml(scan: Scan, text: str, first_line: int) -> None:
    match = _ENTITY_DECL.search(text)
    if match:
        line = first_line + text.count("\n", 0, match.start())
        scan.problem(
            "xml-entity",
            "declares XML entities, which browsers expand and which can hide URLs; remove them",
            line,
        )
    scan_html(scan, text, first_line)


SCANNERS["html"] = scan_html
SCANNERS["xml"] = scan_xml
