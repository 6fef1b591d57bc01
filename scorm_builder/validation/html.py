"""External URLs in HTML and SVG, read with lxml's HTML parser (libxml2, in C: fast on big pages).

The parser decodes character references in attribute values the way a browser does, so
``ht&#9;tps://`` is seen as the URL the browser fetches. Every attribute that makes the browser load
or submit something is checked (``src``, ``href``, ``srcset``, ``action``, ``ping``, SVG
``xlink:href``, meta refresh...); ``srcdoc`` is parsed as a page of its own, inline event handlers
(``onerror``...) and ``<script>`` with the JavaScript heuristic, ``style`` and ``<style>`` as CSS.
SVG files are read the same way; an XML entity declaration there is an error, since a browser
expands entities this check does not (``<!ENTITY h "https">`` hides a URL).
"""

from __future__ import annotations

import html
import re

import lxml.html
from lxml import etree

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


_STYLESHEET_PI = re.compile(r"<\?xml-stylesheet\b([^>]*)>", re.IGNORECASE)
_MAYBE_CSS_URL = re.compile(r"\(|\\")
_MAYBE_JS_URL = re.compile(r"[\"'`]")


def _element(scan: Scan, tag: str, values: dict[str, str], line: int) -> None:
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
        elif name == "style" and _MAYBE_CSS_URL.search(value):
            scan.embedded("css-inline", value, line, where)
        elif name.startswith("on") and _MAYBE_JS_URL.search(value):
            scan.embedded("js", value, line, where)
    if tag == "meta" and values.get("http-equiv", "").strip().lower() == "refresh":
        match = _REFRESH.match(values.get("content", ""))
        if match and match.group(1).strip():
            scan.load(match.group(1), line, "<meta http-equiv=refresh>")
    if tag == "param" and values.get("name", "").lower() in _PARAM_NAMES:
        scan.load(values.get("value", ""), line, "<param value>")


def scan_html(scan: Scan, text: str, first_line: int) -> None:
    for match in _STYLESHEET_PI.finditer(text):
        href = _PSEUDO_HREF.search(match.group(1))
        if href:
            line = first_line + text.count("\n", 0, match.start())
            scan.load(href.group(1) or href.group(2) or "", line, "<?xml-stylesheet?>")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, no_network=True, huge_tree=True)
    try:
        root = etree.fromstring(text.replace("\0", "\ufffd").encode("utf-8", "replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    fatal = [e for e in parser.error_log if e.level == etree.ErrorLevels.FATAL]
    if fatal:
        scan.problem(
            "content-unparsable",
            f"cannot be read as HTML ({fatal[0].message}); it was not fully checked for external URLs",
            first_line + fatal[0].line - 1,
        )
    if root is None:
        return
    for el in root.iter(etree.Element):
        tag = str(el.tag).lower()
        line = first_line + (el.sourceline or 1) - 1
        # libxml2 knows the HTML 4 entities; html.unescape decodes what it left (HTML5's &Tab; ...)
        values = {k.lower(): html.unescape(v) if "&" in v else v for k, v in el.attrib.items()}
        _element(scan, tag, values, line)
        if tag in ("script", "style") and el.text and el.text.strip():
            script_type = values.get("type", "").lower()
            kind = "css" if tag == "style" else "js"
            if "html" in script_type or "template" in script_type:
                kind = "html"
            if kind != "css" or _MAYBE_CSS_URL.search(el.text) or "@import" in el.text.lower():
                scan.embedded(kind, el.text, line, f"<{tag}>" if kind == "html" else "")


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
