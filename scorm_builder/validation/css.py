"""External URLs in CSS, read with tinycss2 (a CSS Syntax Level 3 parser).

A real tokenizer decodes escapes (``url(ht\\74ps://…)``), skips comments and strings that only look
like URLs (``content: "https://…"``), and finds every place CSS fetches: ``url()``, ``src()``,
``@import "…"``, and the bare strings of ``image-set()``. ``@namespace`` URLs are names, not loads.
"""

from __future__ import annotations

import re

import tinycss2

from scorm_builder.validation.urls import SCANNERS, Scan

_URL_FUNCTIONS = frozenset({"url", "src"})
_MAYBE_LOADS = re.compile(r"url\(|src\(|image-set\(|@import|\\", re.IGNORECASE)
"""Every load needs one of these (an escape may spell the others); CSS without them is not parsed."""


def scan_stylesheet(scan: Scan, css: str, first_line: int) -> None:
    if _MAYBE_LOADS.search(css):
        _walk(scan, tinycss2.parse_stylesheet(css), first_line)


def scan_values(scan: Scan, css: str, first_line: int) -> None:
    """A ``style`` attribute, or a CSS value set from script (``el.style.background = "url(…)"``):
    every URL in it, whether or not it sits in a well-formed declaration."""
    if _MAYBE_LOADS.search(css):
        _walk(scan, tinycss2.parse_component_value_list(css), first_line)


def _walk(scan: Scan, nodes: list, first_line: int) -> None:
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        kind = getattr(node, "type", "")
        line = first_line + (getattr(node, "source_line", 1) or 1) - 1
        children: list = []
        if kind == "at-rule":
            keyword = node.lower_at_keyword
            if keyword == "import":
                for token in node.prelude:
                    if token.type == "string":
                        scan.load(token.value, first_line + token.source_line - 1, "CSS @import")
            if keyword != "namespace":
                children += node.prelude
            children += node.content or []
        elif kind == "qualified-rule":
            children += [*node.prelude, *node.content]
        elif kind == "declaration":
            children += node.value
        elif kind == "url":
            scan.load(node.value, line, "CSS url()")
        elif kind == "function":
            name = node.lower_name
            if name in _URL_FUNCTIONS or name.endswith("image-set"):
                how = f"CSS {name}()"
                for token in node.arguments:
                    if token.type == "string":
                        scan.load(token.value, first_line + token.source_line - 1, how)
            children += node.arguments
        elif kind in ("() block", "[] block", "{} block"):
            children += node.content
        stack.extend(reversed(children))


SCANNERS["css"] = scan_stylesheet
SCANNERS["css-inline"] = scan_values
