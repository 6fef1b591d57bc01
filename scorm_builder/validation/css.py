"""External URLs in CSS: a lexer for the tokens that can load something, with tinycss2 decoding them.

A load needs a ``url(…)`` token, a string inside ``url()``/``src()``/``image-set()``, or an
``@import`` prelude; ``@namespace`` URLs are names, and strings elsewhere (``content: "https://…"``)
are text. One regular expression steps over comments and strings (so a ``url(`` inside either is not
a load) and stops only at those tokens, parentheses and rule ends; this keeps a 4 MiB stylesheet
within seconds, where tokenising all of it in Python takes ten times longer. Any token holding a
backslash is decoded by tinycss2, the CSS Syntax Level 3 tokenizer, so escapes such as
``url(ht\\74ps://…)`` or ``\\75rl(`` read as a browser reads them.
"""

from __future__ import annotations

import re
from bisect import bisect_left

import tinycss2

from scorm_builder.validation.urls import SCANNERS, Scan

_URL_FUNCTIONS = frozenset({"url", "src"})
_LEX = re.compile(
    r"""
      (?P<comment>/\*.*?(?:\*/|\Z))
    | (?P<string>"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?)
    | (?P<at>@(?:[\w-]|\\(?:[0-9a-fA-F]{1,6}\s?|[^\n0-9a-fA-F]))+)
    | (?P<function>(?:[\w-]|\\(?:[0-9a-fA-F]{1,6}\s?|[^\n0-9a-fA-F]))+\()
    | (?P<open>\()
    | (?P<close>\))
    | (?P<end>[;{}])
    """,
    re.VERBOSE | re.DOTALL,
)
_URL_BODY = re.compile(
    r"""[ \t\n\r\f]*((?:[^"'()\\ \t\n\r\f]|\\(?:[0-9a-fA-F]{1,6}\s?|[^\n]))*)[ \t\n\r\f]*"""
)
_MAYBE_LOADS = re.compile(r"url\(|src\(|image-set\(|@import|\\", re.IGNORECASE)
"""Every load needs one of these (an escape may spell the others); CSS without them is not lexed."""


def _decoded(token: str) -> str:
    """An identifier, string or url() body as CSS reads it (escapes decoded by tinycss2)."""
    if "\\" not in token:
        return token
    parsed = tinycss2.parse_component_value_list(token)
    first = parsed[0] if parsed else None
    value = getattr(first, "value", None)
    if isinstance(value, str):
        return value
    return getattr(first, "name", token) if first is not None else token


def _string_value(token: str) -> str:
    if "\\" not in token:
        return token[1:-1] if len(token) > 1 and token[-1] == token[0] else token[1:]
    return _decoded(token)


def scan_stylesheet(scan: Scan, css: str, first_line: int) -> None:
    if not _MAYBE_LOADS.search(css):
        return
    newlines = [m.start() for m in re.finditer("\n", css)] if "\n" in css else []
    stack: list[str] = []  # open functions (lowercased names; "" for a plain parenthesis)
    importing = skipping = False
    pos = 0

    def line(at: int) -> int:
        return first_line + bisect_left(newlines, at)

    while match := _LEX.search(css, pos):
        kind, text, pos = match.lastgroup, match.group(), match.end()
        if kind == "comment":
            continue
        if kind == "end":
            stack.clear()
            importing = skipping = False
        elif kind == "at":
            keyword = "@" + _decoded(text[1:]).lower()
            importing, skipping = keyword == "@import", keyword == "@namespace"
        elif skipping:
            continue
        elif kind == "function":
            name = _decoded(text[:-1]).lower()
            body = _URL_BODY.match(css, pos) if name == "url" else None
            if body and css[body.end() : body.end() + 1] in (")", ""):
                url = body.group(1)
                scan.load(_decoded(f"url({url})") if "\\" in url else url, line(match.start()), "CSS url()")
                pos = body.end() + 1
                continue
            stack.append(name)
        elif kind == "open":
            stack.append("")
        elif kind == "close":
            if stack:
                stack.pop()
        elif kind == "string":
            function = stack[-1] if stack else ""
            if importing or function in _URL_FUNCTIONS or function.endswith("image-set"):
                how = "CSS @import" if importing and not function else f"CSS {function or 'url'}()"
                scan.load(_string_value(text), line(match.start()), how)


SCANNERS["css"] = scan_stylesheet
SCANNERS["css-inline"] = scan_stylesheet
