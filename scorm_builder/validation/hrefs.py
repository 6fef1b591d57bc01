"""Manifest hrefs: resolution (xml:base, URL-decoding), missing files, escapes, unlisted files."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

from scorm_builder.schema import SCHEMA_FILES
from scorm_builder.schema2004 import SCHEMA_FILES as SCHEMA_FILES_2004
from scorm_builder.validation.findings import Finding, error, info, warning
from scorm_builder.validation.manifest import MANIFEST, SCORMTYPE, Check, Manifest

XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_IGNORED_UNLISTED = frozenset({MANIFEST, *(p.name for p in (*SCHEMA_FILES, *SCHEMA_FILES_2004))})
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")
_DRIVE = re.compile(r"^[a-zA-Z]:")
_UNLISTED_SHOWN = 5


# --------------------------------------------------------------------------- hrefs


@dataclass(frozen=True)
class _Ref:
    """Where an href points: a package path, an external URL, or outside the package root."""

    kind: str  # "local", "external", "escape"
    path: str = ""


def _strip_url(href: str) -> str:
    return unquote(href.split("#", 1)[0].split("?", 1)[0])


def _normalise(path: str) -> _Ref:
    if path.startswith("/") or _DRIVE.match(path):
        return _Ref("escape", path)
    parts: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if not parts:
                return _Ref("escape", path)
            parts.pop()
        elif segment not in ("", "."):
            parts.append(segment)
    return _Ref("local", "/".join(parts))


def _resolve(href: str, bases: list[str]) -> _Ref:
    """Resolve ``href`` against the xml:base chain (RFC 3986 style), then URL-decode it."""
    joined = ""
    for part in [*bases, href]:
        part = part.strip().replace("\\", "/")
        if _URL_SCHEME.match(part) or part.startswith("//"):
            return _Ref("external", part)
        if part.startswith("/") or _DRIVE.match(part) or not joined:
            joined = part
        else:
            joined = joined[: joined.rfind("/") + 1] + part
    return _normalise(_strip_url(joined))


def _bases(el: etree._Element) -> list[str]:
    chain = [el, *el.iterancestors()]
    return [a.get(XML_BASE) for a in reversed(chain) if a.get(XML_BASE) is not None]


def _hrefs(m: Manifest) -> Iterator[tuple[etree._Element, str, _Ref]]:
    """Every resource and file href with its resolution (resource hrefs first)."""
    for res in m.all("resource"):
        if res.get("href") is not None:
            yield res, res.get("href", ""), _resolve(res.get("href", ""), _bases(res))
        for f in res.findall(m.q("file")):
            yield f, f.get("href", ""), _resolve(f.get("href", ""), _bases(f))


def _case_hint(m: Manifest, rel: str) -> str:
    match = m.same_but_case(m.prefix + rel)
    return f" (a file differs only in letter case: {match!r})" if match else ""


def _check_hrefs(m: Manifest) -> Iterator[Finding]:
    for el, href, ref in _hrefs(m):
        what = _describe(el)
        if not href.strip():
            yield error("href-empty", f"{what} has an empty href", m.loc(el))
        elif "\\" in href:
            yield error("unsafe-path", f"{what} href {href!r} uses backslashes; use '/'", m.loc(el))
        if ref.kind == "external":
            code = "external-launch" if _is_resource(el) else "external-file"
            yield warning(
                code,
                f"{what} href {href!r} points outside the package ({ref.path}); "
                "it is not part of the package and needs network access",
                m.loc(el),
            )
        elif ref.kind == "escape":
            yield error(
                "path-escapes-root", f"{what} href {href!r} points outside the package root", m.loc(el)
            )
        elif href.strip() and not m.has_file(ref.path):
            shown = f"{href!r}" if href == ref.path else f"{href!r} (resolved to {ref.path!r})"
            yield error(
                "href-missing-file",
                f"{what} href {shown} is not in the zip{_case_hint(m, ref.path)}",
                m.loc(el),
            )


def _is_resource(el: etree._Element) -> bool:
    return etree.QName(el).localname == "resource"


def _describe(el: etree._Element) -> str:
    if _is_resource(el):
        return f"resource {el.get('identifier')!r}"
    parent = el.getparent()
    return f"<file> of resource {parent.get('identifier') if parent is not None else None!r}"


def _check_xml_base(m: Manifest) -> Iterator[Finding]:
    for el in m.root.iter(etree.Element):
        base = el.get(XML_BASE)
        if base is None:
            continue
        slash = (
            "" if base.endswith("/") else "; without a trailing '/' its last segment is dropped (RFC 3986)"
        )
        yield warning(
            "xml-base",
            f"xml:base={base!r} on <{etree.QName(el).localname}>: several LMSs ignore "
            f"xml:base, so prefer full hrefs{slash}",
            m.loc(el),
        )


def _check_launch_files(m: Manifest) -> Iterator[Finding]:
    for res in m.all("resource"):
        href = res.get("href")
        if res.get(SCORMTYPE) != "sco" or not href:
            continue
        ref = _resolve(href, _bases(res))
        if ref.kind == "local" and not ref.path.lower().endswith(HTML_SUFFIXES):
            yield warning(
                "sco-launch-not-html",
                f"SCO {res.get('identifier')!r} launches {href!r}, which is not an HTML page, "
                "so it cannot talk to the LMS's SCORM API and nothing is tracked",
                m.loc(res),
            )


def _check_unlisted(m: Manifest) -> Iterator[Finding]:
    listed = {m.prefix + ref.path for _, _, ref in _hrefs(m) if ref.kind == "local"}
    unlisted = sorted(n for n in m.files if n not in listed and _needs_listing(n, m.prefix))
    if unlisted:
        shown = ", ".join(unlisted[:_UNLISTED_SHOWN])
        more = f" and {len(unlisted) - _UNLISTED_SHOWN} more" if len(unlisted) > _UNLISTED_SHOWN else ""
        yield info(
            "unlisted-files",
            f"{len(unlisted)} file(s) in the zip are not listed by any resource: {shown}{more}",
            m.path,
        )


def _needs_listing(name: str, prefix: str) -> bool:
    """Content files under the manifest's folder; the manifest and root XSD/DTD files need no <file>."""
    if not name.startswith(prefix) or name.endswith("/"):
        return False
    rel = name[len(prefix) :]
    return rel not in _IGNORED_UNLISTED and not ("/" not in rel and rel.lower().endswith((".xsd", ".dtd")))


HREF_CHECKS: tuple[Check, ...] = (
    _check_xml_base,
    _check_hrefs,
    _check_launch_files,
    _check_unlisted,
)
