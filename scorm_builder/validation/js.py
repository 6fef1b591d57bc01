"""External URLs in JavaScript: a documented heuristic, not an interpreter.

A URL in a script is only data until a network API receives it (``"http://www.w3.org/2000/svg"`` is
a namespace, not a load), so the script is tokenised (comments, strings with their escapes decoded,
template literals, regex literals) and these are reported when their URL argument is external:

- calls: ``fetch``, ``navigator.sendBeacon``, ``importScripts``, ``import()``, ``new WebSocket``,
  ``new EventSource``, ``new Worker``/``SharedWorker``, ``new Audio``, ``XMLHttpRequest.open``
  (the argument after the method), ``window.open``, ``location.assign``/``replace``,
  ``serviceWorker.register``, ``addModule``, jQuery/axios ``get``/``post``/``getJSON``/``getScript``/
  ``ajax``, ``setAttribute``/``setAttributeNS`` of a URL attribute (``src``, ``href``, ``action``...);
- assignments: ``location = …``, ``.location = …``, ``.src``/``.href``/``.action``/``.poster``/
  ``.background``/``.codebase``/``.formAction = …``;
- ``import … from "…"``, ``import "…"`` and ``export … from "…"``;
- any string concatenation whose pieces only together form a host (``"https:" + "//host"``);
- any string holding markup (``"<img src=…>"``, scanned as HTML) or ``url(…)``/``image-set(…)``
  (scanned as CSS), which covers ``innerHTML``, ``document.write`` and inline styles.

An argument is evaluated from string literals, ``+`` concatenations, template literals (the text
before the first ``${}``), ``obj["name"]`` as ``obj.name``, and variables assigned a string
anywhere in the file; the URL counts as external when that known start is. What the heuristic
cannot see: URLs computed at run time (``atob``, ``String.fromCharCode``, arrays joined, values
from other files or the network), aliased APIs (``const f = fetch``) and ``eval``.
"""

from __future__ import annotations

import bisect
import re
import sys
from array import array

from scorm_builder.validation.urls import SCANNERS, Scan, has_authority, is_external

_TOKEN = re.compile(
    r"""
      (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z)|<!--[^\n]*)
    | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<tmpl>`(?:[^`\\]|\\.)*`)
    | (?P<regex>(?:(?<=[(,=:\[!&|?{};+\-*%<>~^])|(?<=return)|(?<=typeof)|(?<=case)|\A)
        \s*/(?![*/])(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[a-z]*)
    | (?P<name>[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)
    | (?P<num>\d[\w.]*)
    | (?P<punct>===|!==|==|!=|=>|\+=|\?\.|\.\.\.|[-+*%&|^!~<>=?:;,.(){}\[\]@\#/])
    """,
    re.VERBOSE | re.DOTALL,
)
"""Comments, strings, templates and regex literals (after an operator or keyword) are lexed in one
pass, so a quote inside any of them never starts a string; whitespace and stray characters are skipped."""
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.DOTALL)
_SUBSTITUTION = re.compile(r"\$\{[^}]*\}?")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"})
_URL_ATTRS = frozenset({"src", "href", "xlink:href", "action", "formaction", "data", "poster", "srcset"})
_URL_PROPERTIES = frozenset({"src", "href", "action", "formAction", "poster", "background", "codebase"})
_CALLS = {
    "fetch": "fetch()",
    "sendBeacon": "navigator.sendBeacon()",
    "importScripts": "importScripts()",
    "import": "import()",
    "WebSocket": "new WebSocket()",
    "EventSource": "new EventSource()",
    "Worker": "new Worker()",
    "SharedWorker": "new SharedWorker()",
    "Audio": "new Audio()",
    "addModule": "addModule()",
    "getJSON": "getJSON()",
    "getScript": "getScript()",
    "ajax": "ajax()",
}
_QUALIFIED_CALLS = {  # method -> the object names it must be called on
    "assign": ("location",),
    "replace": ("location",),
    "register": ("serviceWorker",),
    "get": ("$", "jQuery", "axios"),
    "post": ("$", "jQuery", "axios"),
}
_TRIGGERS = frozenset(
    {*_CALLS, *_QUALIFIED_CALLS, *_URL_PROPERTIES, "open", "setAttribute", "setAttributeNS"}
    | {"import", "export", "from", "location", "="}
)
_MAX_ARGUMENT_TOKENS = 64
_MAX_PARENTHESES = 16
_QUOTES = re.compile(r"[\"'`]")
_MARKUP = re.compile(r"<[a-zA-Z!?]")
_CSS_FUNCTION = re.compile(r"(?:url|image-set)\s*\(", re.IGNORECASE)

Pieces = list[str | None]  # a value: known text, or None where it is unknown at this point


class _Lexed:
    """A script's tokens as parallel arrays (lean: a 4 MiB script has about a million tokens)."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.texts: list[str] = []
        self.positions = array("q")
        self.values: dict[int, Pieces] = {}  # strings and templates: their decoded value
        self.triggers: list[int] = []  # names the checks start from, strings, and "=" signs


def _unescape(body: str) -> str:
    def one(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u{"):
            return chr(min(int(code[2:-1], 16), 0x10FFFF))
        if code[0] in "ux" and len(code) > 1:
            return chr(int(code[1:], 16))
        if code in ("\n", "\r\n", "\u2028", "\u2029"):
            return ""
        return _SIMPLE_ESCAPES.get(code, code)

    return _ESCAPE.sub(one, body)


def _tokens(js: str) -> _Lexed:
    lexed = _Lexed()
    kinds, texts, positions, values, triggers = (
        lexed.kinds,
        lexed.texts,
        lexed.positions,
        lexed.values,
        lexed.triggers,
    )
    intern = sys.intern
    for match in _TOKEN.finditer(js):
        kind = match.lastgroup or "other"
        if kind == "comment" or kind == "regex":
            continue
        text = match.group()
        index = len(kinds)
        if kind == "str":
            values[index] = [_unescape(text[1:-1])]
            triggers.append(index)
        elif kind == "tmpl":
            kind, parts = "str", _SUBSTITUTION.split(text[1:-1])
            value: Pieces = []
            for number, part in enumerate(parts):
                value += [None] if number else []
                value.append(_unescape(part))
            values[index] = value
            triggers.append(index)
        elif text in _TRIGGERS:
            triggers.append(index)
        kinds.append(kind)
        texts.append(intern(text))
        positions.append(match.start())
    dropped = [index for index in list(values) if _is_bracket_name(lexed, index)]
    if dropped:
        return _without(lexed, set(dropped))
    triggers.sort()
    return lexed


def _is_bracket_name(lexed: _Lexed, index: int) -> bool:
    """``obj["name"]``: rewritten as ``obj.name`` so ``navigator["sendBeacon"](…)`` is a call too."""
    texts, name = lexed.texts, lexed.values[index][0] or ""
    if (
        0 < index < len(texts) - 1
        and texts[index - 1] == "["
        and texts[index + 1] == "]"
        and name.isidentifier()
    ):
        texts[index - 1], lexed.kinds[index], texts[index] = ".", "name", name
        del lexed.values[index]
        return True
    return False


def _without(lexed: _Lexed, names: set[int]) -> _Lexed:
    """The tokens again without the ``]`` after each rewritten ``["name"]``."""
    kept = _Lexed()
    for index, (kind, text, pos) in enumerate(zip(lexed.kinds, lexed.texts, lexed.positions, strict=True)):
        if index - 1 in names:
            continue
        new = len(kept.kinds)
        if index in lexed.values:
            kept.values[new] = lexed.values[index]
        if kind == "str" or text in _TRIGGERS:
            kept.triggers.append(new)
        kept.kinds.append(kind)
        kept.texts.append(text)
        kept.positions.append(pos)
    return kept


def _known_start(value: Pieces) -> str:
    known = []
    for piece in value:
        if piece is None:
            break
        known.append(piece)
    return "".join(known)


class _Script:
    def __init__(self, scan: Scan, js: str, first_line: int):
        self.scan = scan
        self.first_line = first_line
        self.newlines = [match.start() for match in re.finditer("\n", js)]
        lexed = _tokens(js)
        self.kinds, self.texts, self.values = lexed.kinds, lexed.texts, lexed.values
        self.positions, self.triggers, self.count = lexed.positions, lexed.triggers, len(lexed.kinds)
        self.variables: dict[str, Pieces] = {}

    def line(self, index: int) -> int:
        pos = self.positions[min(index, self.count - 1)]
        return self.first_line + bisect.bisect_left(self.newlines, pos)

    def text(self, index: int) -> str:
        return self.texts[index] if 0 <= index < self.count else ""

    def kind(self, index: int) -> str:
        return self.kinds[index] if 0 <= index < self.count else ""

    def expression(self, index: int, depth: int = 0) -> tuple[Pieces, int]:
        """The value of a ``+`` chain of strings and variables starting at ``index``, and its length."""
        if depth > _MAX_PARENTHESES:
            return [None], 0
        value: Pieces = []
        start = index
        while index < self.count:
            kind = self.kinds[index]
            if kind == "str":
                value += self.values[index]
            elif kind == "name" and self.text(index + 1) in ("+", ",", ")", ";", "]", "}", ""):
                value += self.variables.get(self.texts[index], [None])
            elif self.texts[index] == "(":
                inner, length = self.expression(index + 1, depth + 1)
                if self.text(index + 1 + length) != ")":
                    return [*value, None], index - start
                value += inner
                index += length + 1
            else:
                value.append(None)
                break
            index += 1
            if self.text(index) != "+":
                break
            index += 1
        return value, index - start

    def arguments(self, open_index: int) -> list[Pieces]:
        """The values of a call's arguments (only as far as a short window reaches)."""
        values: list[Pieces] = []
        index, depth, start = open_index + 1, 0, open_index + 1
        limit = min(self.count, open_index + _MAX_ARGUMENT_TOKENS)
        while index < limit:
            text = self.text(index)
            if text in ("(", "[", "{"):
                depth += 1
            elif text in (")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            elif text == "," and depth == 0:
                values.append(self.expression(start)[0])
                start = index + 1
            index += 1
        if index > start:
            values.append(self.expression(start)[0])
        return values

    def collect_variables(self) -> None:
        for equals in self.triggers:
            index = equals - 1
            if self.texts[equals] == "=" and self.kind(index) == "name" and self.text(index - 1) != ".":
                name = self.texts[index]
                value, _ = self.expression(equals + 1)
                if name not in self.variables or is_external(_known_start(value)):
                    self.variables[name] = value

    def report(self, value: Pieces, index: int, how: str) -> None:
        self.scan.load(_known_start(value), self.line(index), f"JavaScript {how}")

    def check(self) -> None:
        last_import = -(10**9)
        for index in self.triggers:
            kind, text = self.kinds[index], self.texts[index]
            if kind == "name":
                if text in ("import", "export"):
                    last_import = index
                    if self.kind(index + 1) == "str":
                        self.report(self.values[index + 1], index + 1, "import")
                if text == "from" and index - last_import < 200 and self.kind(index + 1) == "str":
                    self.report(self.values[index + 1], index + 1, "import … from")
                if self.text(index + 1) == "(":
                    self.call(text, index)
                elif self.text(index + 1) in ("=", "+="):
                    self.assignment(text, index)
            elif kind == "str":
                self.strings(index)

    def call(self, name: str, index: int) -> None:
        before = self.text(index - 2) if self.text(index - 1) == "." else ""
        if name in _CALLS:
            arguments = self.arguments(index + 1)
            if arguments:
                self.report(arguments[0], index, _CALLS[name])
        elif name in _QUALIFIED_CALLS and before in _QUALIFIED_CALLS[name]:
            arguments = self.arguments(index + 1)
            if arguments:
                self.report(arguments[0], index, f"{before}.{name}()")
        elif name == "open":
            arguments = self.arguments(index + 1)
            method = _known_start(arguments[0]) if arguments else ""
            if method.upper() in _HTTP_METHODS and len(arguments) > 1:
                self.report(arguments[1], index, "XMLHttpRequest.open()")
            elif arguments:
                self.report(arguments[0], index, "open()")
        elif name in ("setAttribute", "setAttributeNS"):
            arguments = self.arguments(index + 1)
            skip = 1 if name == "setAttributeNS" else 0
            if len(arguments) > skip + 1:
                attribute = _known_start(arguments[skip]).lower()
                if attribute in _URL_ATTRS:
                    self.report(arguments[skip + 1], index, f"{name}({attribute!r})")
                elif attribute == "srcdoc" or attribute.startswith("on") or attribute == "style":
                    kind = {"srcdoc": "html", "style": "css-inline"}.get(attribute, "js")
                    text = "".join(p for p in arguments[skip + 1] if p is not None)
                    self.scan.embedded(kind, text, self.line(index), f"JavaScript {name}({attribute!r})")

    def assignment(self, name: str, index: int) -> None:
        value, _ = self.expression(index + 2)
        if name == "location":
            self.report(value, index, "location assignment")
        elif name in _URL_PROPERTIES and self.text(index - 1) == ".":
            self.report(value, index, f".{name} assignment")

    def strings(self, index: int) -> None:
        """Concatenations that build a host, and strings holding markup or CSS."""
        if self.text(index - 1) != "+":
            value, length = self.expression(index)
            first = self.values[index][0] or ""
            joined = _known_start(value)
            if length > 1 and not has_authority(first) and has_authority(joined) and is_external(joined):
                self.report(value, index, "string concatenation")
        text = "".join(p for p in self.values[index] if p is not None)
        if _MARKUP.search(text):
            self.scan.embedded("html", text, self.line(index), "a JavaScript string")
        elif _CSS_FUNCTION.search(text):
            self.scan.embedded("css-inline", text, self.line(index), "a JavaScript string")


def scan_js(scan: Scan, js: str, first_line: int) -> None:
    if not _QUOTES.search(js):
        return  # a URL needs a string (or a template literal)
    script = _Script(scan, js, first_line)
    script.collect_variables()
    script.check()


SCANNERS["js"] = scan_js
