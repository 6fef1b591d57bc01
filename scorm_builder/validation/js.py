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
from typing import NamedTuple

from scorm_builder.validation.urls import SCANNERS, Scan, has_authority, is_external

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z)|<!--[^\n]*)
    | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<tmpl>`(?:[^`\\]|\\.)*`)
    | (?P<name>[A-Za-z_$\u0080-\uffff][\w$\u0080-\uffff]*)
    | (?P<num>\d[\w.]*)
    | (?P<punct>===|!==|==|!=|=>|\+=|\?\.|\.\.\.|[-+*%&|^!~<>=?:;,.(){}\[\]@\#])
    | (?P<slash>/)
    | (?P<other>.)
    )""",
    re.VERBOSE | re.DOTALL,
)
_REGEX = re.compile(r"/(?:[^/\\\[\n]|\\.|\[(?:[^\]\\\n]|\\.)*\])+/[a-z]*")
_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|.)", re.DOTALL)
_SUBSTITUTION = re.compile(r"\$\{[^}]*\}?")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_REGEX_AFTER = frozenset(
    {*"(,=:[!&|?{};+-*%<>~^", "=>", "==", "===", "!=", "!==", "+=", "return", "typeof", "case"}
)
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
_MAX_ARGUMENT_TOKENS = 64
_MAX_PARENTHESES = 16
_QUOTES = re.compile(r"[\"'`]")
_MARKUP = re.compile(r"<[a-zA-Z!?]")
_CSS_FUNCTION = re.compile(r"(?:url|image-set)\s*\(", re.IGNORECASE)

Pieces = list[str | None]  # a value: known text, or None where it is unknown at this point


class _Token(NamedTuple):
    kind: str
    text: str
    pos: int
    value: Pieces  # for strings and templates


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


def _tokens(js: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos, end = 0, len(js)
    while pos < end:
        match = _TOKEN.match(js, pos)
        if match is None or match.lastgroup is None:  # only trailing whitespace is left
            break
        kind = match.lastgroup
        start, pos, text = match.start(kind), match.end(), match.group(kind)
        if kind == "comment":
            continue
        if kind == "slash":
            previous = tokens[-1].text if tokens else "("
            regex = _REGEX.match(js, start) if previous in _REGEX_AFTER else None
            if regex:
                pos = regex.end()
                continue
            kind = "punct"
        if kind == "str":
            tokens.append(_Token("str", text, start, [_unescape(text[1:-1])]))
        elif kind == "tmpl":
            parts = _SUBSTITUTION.split(text[1:-1])
            value: Pieces = []
            for index, part in enumerate(parts):
                value += [None] if index else []
                value.append(_unescape(part))
            tokens.append(_Token("str", text, start, value))
        else:
            tokens.append(_Token(kind, text, start, []))
    for index in range(len(tokens) - 2):  # obj["name"] is obj.name
        one, two, three = tokens[index : index + 3]
        if (
            one.text == "["
            and two.kind == "str"
            and three.text == "]"
            and (two.value[0] or "").isidentifier()
        ):
            tokens[index] = _Token("punct", ".", one.pos, [])
            tokens[index + 1] = _Token("name", two.value[0] or "", two.pos, [])
            tokens[index + 2] = _Token("other", "", three.pos, [])
    return [t for t in tokens if t.kind != "other" or t.text]


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
        self.tokens = _tokens(js)
        self.variables: dict[str, Pieces] = {}

    def line(self, index: int) -> int:
        pos = self.tokens[min(index, len(self.tokens) - 1)].pos
        return self.first_line + bisect.bisect_left(self.newlines, pos)

    def text(self, index: int) -> str:
        return self.tokens[index].text if 0 <= index < len(self.tokens) else ""

    def expression(self, index: int, depth: int = 0) -> tuple[Pieces, int]:
        """The value of a ``+`` chain of strings and variables starting at ``index``, and its length."""
        if depth > _MAX_PARENTHESES:
            return [None], 0
        value: Pieces = []
        start = index
        while index < len(self.tokens):
            token = self.tokens[index]
            if token.kind == "str":
                value += token.value
            elif token.kind == "name" and self.text(index + 1) in ("+", ",", ")", ";", "]", "}", ""):
                value += self.variables.get(token.text, [None])
            elif token.text == "(":
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
        limit = min(len(self.tokens), open_index + _MAX_ARGUMENT_TOKENS)
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
        for index, token in enumerate(self.tokens[:-2]):
            if token.kind == "name" and self.text(index + 1) == "=" and self.text(index - 1) != ".":
                value, _ = self.expression(index + 2)
                if token.text not in self.variables or is_external(_known_start(value)):
                    self.variables[token.text] = value

    def report(self, value: Pieces, index: int, how: str) -> None:
        self.scan.load(_known_start(value), self.line(index), f"JavaScript {how}")

    def check(self) -> None:
        last_import = -(10**9)
        for index, token in enumerate(self.tokens):
            if token.kind == "name":
                if token.text in ("import", "export"):
                    last_import = index
                    if index + 1 < len(self.tokens) and self.tokens[index + 1].kind == "str":
                        self.report(self.tokens[index + 1].value, index + 1, "import")
                following = self.tokens[index + 1] if index + 1 < len(self.tokens) else token
                if token.text == "from" and index - last_import < 200 and following.kind == "str":
                    self.report(following.value, index + 1, "import … from")
                if self.text(index + 1) == "(":
                    self.call(token.text, index)
                elif self.text(index + 1) in ("=", "+="):
                    self.assignment(token.text, index)
            elif token.kind == "str":
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
            first = self.tokens[index].value[0] or ""
            joined = _known_start(value)
            if length > 1 and not has_authority(first) and has_authority(joined) and is_external(joined):
                self.report(value, index, "string concatenation")
        text = "".join(p for p in self.tokens[index].value if p is not None)
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
