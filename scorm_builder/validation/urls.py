"""External URLs in package content: what counts as external, and the scan state the scanners share.

A package must be self-contained: LMSs run offline and behind CSPs, and a request to another host
leaks who is learning what. Every way a page can make the browser fetch from elsewhere is an
``external-url`` error; a plain link the learner may follow is only an ``external-link`` warning.

URLs are compared the way a browser's URL parser (WHATWG) reads them, not as written: ASCII tab and
newline are removed anywhere (``ht&#9;tps:``), leading and trailing controls and spaces are trimmed,
and ``\\`` counts as ``/`` (``\\\\host/x`` is protocol-relative). The scanners for HTML/SVG, CSS and
JavaScript (html.py, css.py, js.py) register in ``SCANNERS``, so markup inside a script, a script
inside markup, ``srcdoc`` and ``data:`` URLs are scanned by the same code, to a bounded depth.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from urllib.parse import unquote, unquote_to_bytes

from scorm_builder.validation.findings import Finding, error, warning

NETWORK_SCHEMES = frozenset({"http", "https", "ws", "wss", "ftp"})
MAX_NESTING = 8
"""srcdoc inside srcdoc, data: URL inside script...: deeper than this is reported, not followed."""

SCANNED_SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "xml",
    ".svg": "xml",
    ".css": "css",
    ".js": "js",
    ".mjs": "js",
    ".cjs": "js",
}
"""Files are scanned by extension: LMSs serve them with the MIME type their extension gives."""

_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_TRIMMED = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_AUTHORITY = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//[^/?#\s]")
_DATA_KINDS = {
    "text/html": "html",
    "application/xhtml+xml": "xml",
    "image/svg+xml": "xml",
    "text/css": "css",
    "text/javascript": "js",
    "application/javascript": "js",
}

Scanner = Callable[["Scan", str, int], None]
SCANNERS: dict[str, Scanner] = {}
"""Filled by html.py, css.py and js.py: kind ("html", "xml" for SVG/XHTML, "css", "css-inline", "js")."""


def normalise_url(url: str) -> str:
    """The URL as a browser's parser reads its start (see the module docstring)."""
    return _TAB_NEWLINE.sub("", url).strip(_TRIMMED).replace("\\", "/")


def scheme_of(url: str) -> str:
    match = _SCHEME.match(normalise_url(url))
    return match.group(1).lower() if match else ""


def is_external(url: str) -> bool:
    """True when loading ``url`` from a page in the package would reach another host."""
    url = normalise_url(url)
    return url.startswith("//") or scheme_of(url) in NETWORK_SCHEMES


def has_authority(url: str) -> bool:
    """True when ``url`` names a host (``https://host``, ``//host``), not just a scheme or a path."""
    return bool(_AUTHORITY.match(normalise_url(url)))


def decode_text(data: bytes) -> str:
    """Text as a browser decodes it: by byte order mark (UTF-8/16/32), UTF-16 without a BOM when
    every other byte is NUL, else UTF-8 (undecodable bytes replaced; URLs are ASCII)."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    sample = data[:4096]
    if len(sample) >= 4:
        odd, even = sample[1::2].count(0), sample[0::2].count(0)
        if odd > len(sample) // 4 and even == 0:
            return data.decode("utf-16-le", errors="replace")
        if even > len(sample) // 4 and odd == 0:
            return data.decode("utf-16-be", errors="replace")
    return data.decode("utf-8", errors="replace")


def _data_url(url: str) -> tuple[str, str] | None:
    """(kind, text) of a ``data:`` URL holding markup, CSS or script, which a browser would run."""
    head, comma, payload = normalise_url(url)[5:].partition(",")
    kind = _DATA_KINDS.get(head.split(";")[0].strip().lower())
    if not comma or kind is None:
        return None
    try:
        raw = (
            base64.b64decode(unquote(payload))
            if head.lower().endswith(";base64")
            else unquote_to_bytes(payload)
        )
    except (binascii.Error, ValueError):
        return None
    return kind, decode_text(raw)


@dataclass
class Scan:
    """One file's scan: its name, the findings so far, and how deeply content is nested."""

    name: str
    findings: list[Finding] = field(default_factory=list)
    depth: int = 0
    inside: list[str] = field(default_factory=list)  # e.g. ["<iframe srcdoc>"] while scanning it
    _seen: set[tuple[int, str]] = field(default_factory=set)

    def _where(self, line: int) -> str:
        return f"{self.name}:{line}"

    def load(self, url: str, line: int, how: str) -> None:
        """``url`` is fetched or run by the browser without the learner doing anything."""
        scheme = scheme_of(url)
        if scheme == "javascript":
            self.embedded("js", unquote(normalise_url(url)[len("javascript:") :]), line, f"{how} javascript:")
        elif scheme == "data" and (inner := _data_url(url)):
            self.embedded(inner[0], inner[1], line, f"{how} data:")
        elif is_external(url) and self._first(line, url):
            self.findings.append(
                error(
                    "external-url",
                    f"{self.name} line {line}: {how}{self._inside()} loads external URL "
                    f"{normalise_url(url)!r}; packages must be self-contained",
                    self._where(line),
                )
            )

    def link(self, url: str, line: int, how: str) -> None:
        """``url`` is a link the learner may follow: leaving the package is fragile, not fatal."""
        if scheme_of(url) == "javascript":
            self.load(url, line, how)
        elif is_external(url) and self._first(line, url):
            self.findings.append(
                warning(
                    "external-link",
                    f"{self.name} line {line}: {how}{self._inside()} links to external URL "
                    f"{normalise_url(url)!r}; it leaves the package (needs network)",
                    self._where(line),
                )
            )

    def problem(self, code: str, message: str, line: int) -> None:
        self.findings.append(error(code, f"{self.name} line {line}: {message}", self._where(line)))

    def _inside(self) -> str:
        return f" (in {' in '.join(reversed(self.inside))})" if self.inside else ""

    def embedded(self, kind: str, text: str, line: int, inside: str = "") -> None:
        """Scan ``text`` of ``kind`` found at ``line`` (inline script, srcdoc, data: URL...)."""
        if self.depth >= MAX_NESTING:
            self.problem(
                "content-too-nested",
                f"content nested more than {MAX_NESTING} levels deep (srcdoc, data: URLs, markup in "
                "scripts) was not checked for external URLs",
                line,
            )
            return
        self.depth += 1
        self.inside += [inside] if inside else []
        try:
            SCANNERS[kind](self, text, line)
        finally:
            self.depth -= 1
            del self.inside[len(self.inside) - (1 if inside else 0) :]

    def _first(self, line: int, url: str) -> bool:
        key = (line, normalise_url(url))
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def content_kind(name: str) -> str | None:
    """The scanner for an entry, by extension; None for files a browser does not parse for URLs."""
    return SCANNED_SUFFIXES.get(PurePosixPath(name).suffix.lower())


def scan_file(name: str, data: bytes) -> list[Finding]:
    """Every external URL ``name`` makes the browser load (``name`` must have a ``content_kind``)."""
    kind = content_kind(name)
    if kind is None:
        return []
    scan = Scan(name, depth=-1)
    scan.embedded(kind, decode_text(data), 1)
    return scan.findings
