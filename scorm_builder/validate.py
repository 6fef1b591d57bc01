"""Validate any SCORM 1.2 zip the way an LMS will read it, and report every problem at once.

LMS import errors are terse ("invalid package") and usually stop at the first problem, so this
module collects all of them, each with a stable code, the file inside the zip and the line.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

import lxml.html
from lxml import etree

from scorm_builder.schema import ADLCP_NS, IMSCP_NS, SCHEMA_FILES, schema_issues

MANIFEST = "imsmanifest.xml"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
SCORMTYPE = f"{{{ADLCP_NS}}}scormtype"
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_IGNORED_UNLISTED = frozenset({MANIFEST, *(p.name for p in SCHEMA_FILES)})
_TIMESPAN = re.compile(r"^\d{2,4}:([0-5]\d):([0-5]\d)(\.\d{1,2})?$")
_URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]+:")
_DRIVE = re.compile(r"^[a-zA-Z]:")
_UNLISTED_SHOWN = 5


class Severity(StrEnum):
    """error: an LMS rejects or mis-runs the package; warning: works but is fragile; info: worth a look."""

    error = "error"
    warning = "warning"
    info = "info"


_RANK = {Severity.error: 0, Severity.warning: 1, Severity.info: 2}


@dataclass(frozen=True)
class Finding:
    """One problem; ``code`` is stable so callers and tests can filter on it."""

    severity: Severity
    code: str
    message: str
    location: str = ""  # file path inside the zip, with ":line" where known


@dataclass
class Report:
    """Every finding for one package, errors first, so a single run shows all there is to fix."""

    package: str
    findings: list[Finding] = field(default_factory=list)

    def _of(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity is severity]

    @property
    def errors(self) -> list[Finding]:
        return self._of(Severity.error)

    @property
    def warnings(self) -> list[Finding]:
        return self._of(Severity.warning)

    @property
    def infos(self) -> list[Finding]:
        return self._of(Severity.info)

    @property
    def ok(self) -> bool:
        """True when nothing would stop an LMS from importing or running the package."""
        return not self.errors


def _error(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.error, code, message, location)


def _warning(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.warning, code, message, location)


def _info(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.info, code, message, location)


# --------------------------------------------------------------------------- entry points


def validate_package(path: Path) -> Report:
    """Read the zip at ``path`` and run every check; an unreadable zip is reported, not raised."""
    path = Path(path)
    try:
        files, findings = _read_zip(path)
    except FileNotFoundError:
        return Report(path.name, [_error("package-unreadable", f"{path}: no such file")])
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        code = "not-a-zip" if not _looks_like_zip(path) else "corrupt-zip"
        what = "is not a zip file" if code == "not-a-zip" else f"is a damaged zip file ({exc})"
        return Report(path.name, [_error(code, f"{path.name} {what}; a SCORM package must be a .zip")])
    report = validate_files(files, path.name)
    report.findings = _sorted([*findings, *report.findings])
    return report


def validate_files(files: Mapping[str, bytes], name: str = "package") -> Report:
    """Run every check on an in-memory package ``{zip path: bytes}`` (directories end with "/")."""
    findings = [*_entry_findings(files), *_manifest_findings(files), *_content_findings(files)]
    return Report(name, _sorted(findings))


def format_report(report: Report) -> str:
    """One line per finding (severity, code, location, message), then the counts."""
    width = max((len(f.code) for f in report.findings), default=0)
    lines = [
        f"{f.severity.value:<7} {f.code:<{width}}  {f.location or report.package}  {f.message}"
        for f in report.findings
    ]
    counts = f"{len(report.errors)} errors, {len(report.warnings)} warnings, {len(report.infos)} infos"
    verdict = "OK" if report.ok else "INVALID"
    return "\n".join([*lines, f"{report.package}: {verdict}, {counts}"])


def _sort_key(finding: Finding) -> tuple[int, str, int, str]:
    path, _, line = finding.location.rpartition(":")
    if not (path and line.isdigit()):
        path, line = finding.location, "0"
    return _RANK[finding.severity], path, int(line), finding.code


def _sorted(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=_sort_key)


# --------------------------------------------------------------------------- zip level


def _looks_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def _read_zip(path: Path) -> tuple[dict[str, bytes], list[Finding]]:
    """All entries by name, plus findings about entries that cannot be trusted or read."""
    files: dict[str, bytes] = {}
    findings: list[Finding] = []
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        findings += _zip_name_findings(infos)
        for info in infos:
            try:
                files[info.filename] = b"" if info.is_dir() else zf.read(info)
            except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, EOFError) as exc:
                findings.append(
                    _error("zip-entry-unreadable", f"cannot read {info.filename}: {exc}", info.filename)
                )
    return files, findings


def _zip_name_findings(infos: list[zipfile.ZipInfo]) -> Iterator[Finding]:
    for name, count in Counter(i.filename for i in infos).items():
        if count > 1:
            yield _warning("zip-duplicate-entry", f"{name} is stored {count} times; LMSs keep only one", name)
    for info in infos:
        if info.flag_bits & 0x800 == 0 and not info.filename.isascii():
            yield _warning(
                "zip-filename-encoding",
                f"{info.filename} has non-ASCII characters but the zip does not mark names as UTF-8; "
                "LMSs may unpack it under a different name, breaking hrefs",
                info.filename,
            )


def _entry_findings(files: Iterable[str]) -> Iterator[Finding]:
    """Entries that would be written outside the extraction folder, or differently per platform."""
    for name in files:
        if "\\" in name:
            yield _error("unsafe-path", f"zip entry {name!r} contains a backslash; use '/' separators", name)
        posix = name.replace("\\", "/")
        if posix.startswith("/") or _DRIVE.match(posix):
            yield _error("path-escapes-root", f"zip entry {name!r} is an absolute path", name)
        elif ".." in posix.split("/"):
            yield _error(
                "path-escapes-root", f"zip entry {name!r} has a '..' segment (escapes the root)", name
            )


# --------------------------------------------------------------------------- manifest discovery


def _locate_manifest(files: Mapping[str, bytes]) -> tuple[str | None, list[Finding]]:
    """The manifest's zip path (root preferred) and any finding about where or how it was found."""
    if MANIFEST in files:
        return MANIFEST, []
    candidates = sorted((n for n in files if PurePosixPath(n).name.lower() == MANIFEST), key=len)
    if not candidates:
        return None, [
            _error("manifest-missing", f"no {MANIFEST} in the package (it must be at the zip root)")
        ]
    found = candidates[0]
    if "/" not in found:
        return found, [
            _error(
                "manifest-name-case",
                f"manifest is named {found!r}; it must be exactly "
                f"{MANIFEST!r} (LMSs on case-sensitive file systems won't find it)",
                found,
            )
        ]
    return found, [
        _error(
            "manifest-not-at-root",
            f"{MANIFEST} found at {found!r} but it must be at the zip root; zip the contents of "
            f"{found.rsplit('/', 1)[0]!r}, not the folder itself (its hrefs were checked relative to it)",
            found,
        )
    ]


def _parse_manifest(data: bytes, location: str) -> tuple[etree._ElementTree | None, list[Finding]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        return etree.ElementTree(etree.fromstring(data, parser)), []
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or 0
        where = f"{location}:{line}" if line else location
        return None, [_error("manifest-malformed", f"{location} is not well-formed XML: {exc.msg}", where)]


# --------------------------------------------------------------------------- manifest checks


@dataclass
class _Manifest:
    """A parsed manifest and the package files, addressed relative to the manifest's folder."""

    tree: etree._ElementTree
    path: str
    files: Mapping[str, bytes]

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def prefix(self) -> str:
        return self.path[: -len(MANIFEST)]

    @property
    def ns(self) -> str:
        """The CP namespace actually used, so structural checks still run on a mis-namespaced manifest."""
        return etree.QName(self.root).namespace or ""

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}" if self.ns else tag

    def all(self, tag: str) -> list[etree._Element]:
        return list(self.root.iter(self.q(tag)))

    def loc(self, el: etree._Element) -> str:
        return f"{self.path}:{el.sourceline}"

    def has_file(self, rel: str) -> bool:
        return self.prefix + rel in self.files


def _manifest_findings(files: Mapping[str, bytes]) -> list[Finding]:
    path, findings = _locate_manifest(files)
    if path is None:
        return findings
    tree, problems = _parse_manifest(files[path], path)
    findings += problems
    if tree is None:
        return findings
    m = _Manifest(tree, path, files)
    findings += [_error("schema", issue.message, f"{path}:{issue.line}") for issue in schema_issues(tree)]
    for check in _MANIFEST_CHECKS:
        findings += check(m)
    return findings


def _check_root(m: _Manifest) -> Iterator[Finding]:
    if m.root.tag != f"{{{IMSCP_NS}}}manifest":
        yield _error(
            "manifest-namespace",
            f"root element is {m.root.tag!r}; SCORM 1.2 needs <manifest> in "
            f"namespace {IMSCP_NS!r} (a SCORM 2004 manifest uses a different one)",
            m.loc(m.root),
        )


def _check_metadata(m: _Manifest) -> Iterator[Finding]:
    metadata = m.root.find(m.q("metadata"))
    for tag, code, expected in (
        ("schema", "metadata-schema", "ADL SCORM"),
        ("schemaversion", "metadata-schemaversion", "1.2"),
    ):
        el = None if metadata is None else metadata.find(m.q(tag))
        if el is None:
            yield _error(code, f"manifest <metadata> lacks <{tag}>{expected}</{tag}>", m.loc(m.root))
        elif (el.text or "").strip() != expected:
            yield _error(
                code, f"<{tag}> is {(el.text or '').strip()!r}; SCORM 1.2 requires {expected!r}", m.loc(el)
            )


def _check_organizations(m: _Manifest) -> Iterator[Finding]:
    orgs_el = m.root.find(m.q("organizations"))
    if orgs_el is None:
        return  # the schema check reports the missing element
    org_ids = [o.get("identifier") for o in orgs_el.findall(m.q("organization"))]
    if not org_ids:
        yield _warning(
            "no-organization",
            "<organizations> is empty: learners get nothing to launch in most LMSs",
            m.loc(orgs_el),
        )
    default = orgs_el.get("default")
    if default is not None and default not in org_ids:
        yield _error(
            "default-org-missing",
            f"<organizations default={default!r}> names no <organization>; "
            f"known: {', '.join(map(repr, org_ids)) or 'none'}",
            m.loc(orgs_el),
        )


def _check_identifiers(m: _Manifest) -> Iterator[Finding]:
    seen: dict[str, etree._Element] = {}
    for el in m.root.iter(etree.Element):
        ident = el.get("identifier")
        if ident is None:
            continue
        if ident in seen:
            yield _error(
                "duplicate-identifier",
                f"identifier {ident!r} on <{etree.QName(el).localname}> is "
                f"already used at line {seen[ident].sourceline}",
                m.loc(el),
            )
        else:
            seen[ident] = el


def _resources(m: _Manifest) -> dict[str, etree._Element]:
    return {r.get("identifier", ""): r for r in m.all("resource")}


def _check_items(m: _Manifest) -> Iterator[Finding]:
    resources = _resources(m)
    for item in m.all("item"):
        ref, ident = item.get("identifierref"), item.get("identifier")
        if ref is None:
            if item.find(m.q("item")) is None:
                yield _warning(
                    "item-no-resource",
                    f"leaf <item identifier={ident!r}> has no identifierref, so it launches nothing",
                    m.loc(item),
                )
        elif ref not in resources:
            yield _error(
                "dangling-identifierref",
                f"<item identifier={ident!r}> identifierref={ref!r} matches no <resource identifier>",
                m.loc(item),
            )
        elif resources[ref].get("href") is None:
            yield _error(
                "item-not-launchable",
                f"<item identifier={ident!r}> refers to resource {ref!r}, which has no href to launch",
                m.loc(item),
            )


def _check_dependencies(m: _Manifest) -> Iterator[Finding]:
    resources = _resources(m)
    for dep in m.all("dependency"):
        ref = dep.get("identifierref")
        if ref is not None and ref not in resources:
            owner = dep.getparent().get("identifier") if dep.getparent() is not None else None
            yield _error(
                "dangling-dependency",
                f"<dependency identifierref={ref!r}> in resource {owner!r} matches no <resource identifier>",
                m.loc(dep),
            )


def _check_adlcp_prefix(m: _Manifest) -> Iterator[Finding]:
    """Moodle (and others) match the literal ``adlcp:`` prefix, so any other binding breaks them."""
    reported: set[tuple[str | None, str]] = set()
    for el in m.root.iter(etree.Element):
        for prefix, uri in el.nsmap.items():
            wrong = (uri == ADLCP_NS) != (prefix == "adlcp")
            if not wrong or (prefix, uri) in reported:
                continue
            reported.add((prefix, uri))
            if uri == ADLCP_NS:
                shown = f"prefix {prefix!r}" if prefix else "the default namespace"
                yield _error(
                    "adlcp-prefix",
                    f"the adlcp namespace {ADLCP_NS!r} is bound to {shown}; "
                    "it must use the prefix 'adlcp' (LMS parsers match it literally)",
                    m.loc(el),
                )
            else:
                yield _error(
                    "adlcp-prefix",
                    f"prefix 'adlcp' is bound to {uri!r}; SCORM 1.2 needs {ADLCP_NS!r}",
                    m.loc(el),
                )


def _check_scormtype(m: _Manifest) -> Iterator[Finding]:
    for res in m.all("resource"):
        ident, kind = res.get("identifier"), res.get(SCORMTYPE)
        if kind is None:
            near = [a for a in res.attrib if etree.QName(a).localname.lower() == "scormtype"]
            hint = (
                f" (found {etree.QName(near[0]).localname!r} in {etree.QName(near[0]).namespace!r})"
                if near
                else ""
            )
            yield _warning(
                "scormtype-missing",
                f"resource {ident!r} has no adlcp:scormtype{hint}; "
                "LMSs treat it as an asset and track nothing",
                m.loc(res),
            )
        elif kind == "sco" and not res.get("href"):
            yield _error("sco-missing-href", f"resource {ident!r} is a sco but has no href", m.loc(res))


def _check_item_adlcp(m: _Manifest) -> Iterator[Finding]:
    for el in m.root.iter(f"{{{ADLCP_NS}}}masteryscore"):
        yield from _masteryscore(m, el)
    for el in m.root.iter(f"{{{ADLCP_NS}}}maxtimeallowed"):
        text = (el.text or "").strip()
        if not _TIMESPAN.match(text):
            yield _error(
                "bad-maxtimeallowed",
                f"adlcp:maxtimeallowed {text!r} is not a CMITimespan HHHH:MM:SS.SS (e.g. '00:30:00')",
                m.loc(el),
            )
    for el in m.root.iter(f"{{{ADLCP_NS}}}timelimitaction"):
        text = (el.text or "").strip()
        if text not in TIME_LIMIT_ACTIONS:
            yield _error(
                "bad-timelimitaction",
                f"adlcp:timelimitaction {text!r} is not one of {', '.join(map(repr, TIME_LIMIT_ACTIONS))}",
                m.loc(el),
            )


def _masteryscore(m: _Manifest, el: etree._Element) -> Iterator[Finding]:
    text = (el.text or "").strip()
    try:
        ok = 0 <= float(text) <= 100
    except ValueError:
        ok = False
    if not ok:
        yield _error(
            "bad-masteryscore", f"adlcp:masteryscore {text!r} is not a number from 0 to 100", m.loc(el)
        )


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


def _hrefs(m: _Manifest) -> Iterator[tuple[etree._Element, str, _Ref]]:
    """Every resource and file href with its resolution (resource hrefs first)."""
    for res in m.all("resource"):
        if res.get("href") is not None:
            yield res, res.get("href", ""), _resolve(res.get("href", ""), _bases(res))
        for f in res.findall(m.q("file")):
            yield f, f.get("href", ""), _resolve(f.get("href", ""), _bases(f))


def _case_hint(m: _Manifest, rel: str) -> str:
    wanted = (m.prefix + rel).lower()
    match = next((n for n in m.files if n.lower() == wanted), None)
    return f" (a file differs only in letter case: {match!r})" if match else ""


def _check_hrefs(m: _Manifest) -> Iterator[Finding]:
    for el, href, ref in _hrefs(m):
        what = _describe(el)
        if not href.strip():
            yield _error("href-empty", f"{what} has an empty href", m.loc(el))
        elif "\\" in href:
            yield _error("unsafe-path", f"{what} href {href!r} uses backslashes; use '/'", m.loc(el))
        if ref.kind == "external":
            code = "external-launch" if _is_resource(el) else "external-file"
            yield _warning(
                code,
                f"{what} href {href!r} points outside the package ({ref.path}); "
                "it is not part of the package and needs network access",
                m.loc(el),
            )
        elif ref.kind == "escape":
            yield _error(
                "path-escapes-root", f"{what} href {href!r} points outside the package root", m.loc(el)
            )
        elif href.strip() and not m.has_file(ref.path):
            shown = f"{href!r}" if href == ref.path else f"{href!r} (resolved to {ref.path!r})"
            yield _error(
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


def _check_xml_base(m: _Manifest) -> Iterator[Finding]:
    for el in m.root.iter(etree.Element):
        base = el.get(XML_BASE)
        if base is None:
            continue
        slash = (
            "" if base.endswith("/") else "; without a trailing '/' its last segment is dropped (RFC 3986)"
        )
        yield _warning(
            "xml-base",
            f"xml:base={base!r} on <{etree.QName(el).localname}>: several LMSs ignore "
            f"xml:base, so prefer full hrefs{slash}",
            m.loc(el),
        )


def _check_launch_files(m: _Manifest) -> Iterator[Finding]:
    for res in m.all("resource"):
        href = res.get("href")
        if res.get(SCORMTYPE) != "sco" or not href:
            continue
        ref = _resolve(href, _bases(res))
        if ref.kind == "local" and not ref.path.lower().endswith(HTML_SUFFIXES):
            yield _warning(
                "sco-launch-not-html",
                f"SCO {res.get('identifier')!r} launches {href!r}, which is not an HTML page, "
                "so it cannot talk to the LMS's SCORM API and nothing is tracked",
                m.loc(res),
            )


def _check_unlisted(m: _Manifest) -> Iterator[Finding]:
    listed = {m.prefix + ref.path for _, _, ref in _hrefs(m) if ref.kind == "local"}
    unlisted = sorted(n for n in m.files if n not in listed and _needs_listing(n, m.prefix))
    if unlisted:
        shown = ", ".join(unlisted[:_UNLISTED_SHOWN])
        more = f" and {len(unlisted) - _UNLISTED_SHOWN} more" if len(unlisted) > _UNLISTED_SHOWN else ""
        yield _info(
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


_MANIFEST_CHECKS = (
    _check_root,
    _check_metadata,
    _check_organizations,
    _check_identifiers,
    _check_items,
    _check_dependencies,
    _check_adlcp_prefix,
    _check_scormtype,
    _check_item_adlcp,
    _check_xml_base,
    _check_hrefs,
    _check_launch_files,
    _check_unlisted,
)


# --------------------------------------------------------------------------- content (HTML/CSS/JS)

_EXTERNAL = r"(?:https?:)?//[^\s'\"`)]+"
_CSS_URL = re.compile(r"url\(\s*(['\"]?)\s*(" + _EXTERNAL + r")", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\s+(['\"])\s*(" + _EXTERNAL + r")", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_JS_LOADS = tuple(
    (how, re.compile(p + r"(['\"`])(" + _EXTERNAL + ")", re.IGNORECASE))
    for how, p in (
        ("JavaScript fetch()", r"\bfetch\s*\(\s*"),
        ("JavaScript import()", r"\bimport\s*\(\s*"),
        ("JavaScript import", r"\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?"),
        ("JavaScript importScripts()", r"\bimportScripts\s*\(\s*"),
        ("JavaScript XMLHttpRequest.open()", r"\.open\s*\(\s*['\"]\w+['\"]\s*,\s*"),
        ("JavaScript .src =", r"\.src\s*=\s*"),
    )
)
_LOADING_ATTRS = ("src", "href", "data", "poster", "background", "srcset")
_NAVIGATION = frozenset({"a", "area"})


def _is_external(url: str) -> bool:
    url = url.strip().lower()
    return url.startswith(("http:", "https:", "//"))


def _content_findings(files: Mapping[str, bytes]) -> Iterator[Finding]:
    """Packages must be self-contained: LMSs run offline, behind CSPs, and learners' data must stay."""
    for name, data in files.items():
        lower = name.lower()
        if lower.endswith(HTML_SUFFIXES):
            yield from _scan_html(name, data)
        elif lower.endswith(".css"):
            yield from _scan_css(name, _text(data), 1)
        elif lower.endswith((".js", ".mjs")):
            yield from _scan_js(name, _text(data), 1)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _line_at(text: str, pos: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, pos)


def _load_finding(name: str, line: int, url: str, how: str) -> Finding:
    return _error(
        "external-url",
        f"{name} line {line}: {how} loads external URL {url!r}; packages must be self-contained",
        f"{name}:{line}",
    )


def _scan_css(name: str, css: str, first_line: int) -> Iterator[Finding]:
    css = _CSS_COMMENT.sub(lambda mt: re.sub(r"[^\n]", " ", mt.group()), css)
    for pattern, how in ((_CSS_URL, "CSS url()"), (_CSS_IMPORT, "CSS @import")):
        for match in pattern.finditer(css):
            yield _load_finding(name, _line_at(css, match.start(), first_line), match.group(2), how)


def _scan_js(name: str, js: str, first_line: int) -> Iterator[Finding]:
    for how, pattern in _JS_LOADS:
        for match in pattern.finditer(js):
            yield _load_finding(name, _line_at(js, match.start(), first_line), match.group(2), how)


def _scan_html(name: str, data: bytes) -> Iterator[Finding]:
    try:
        root = etree.fromstring(data, lxml.html.HTMLParser())
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        return
    for el in root.iter(etree.Element):
        yield from _scan_element(name, el)


def _scan_element(name: str, el: etree._Element) -> Iterator[Finding]:
    tag = str(el.tag).lower()
    line = el.sourceline or 0
    for attr in _LOADING_ATTRS:
        for url in _attr_urls(el.get(attr), attr):
            if tag in _NAVIGATION and attr == "href":
                yield _warning(
                    "external-link",
                    f"{name} line {line}: <{tag} href> links to external URL "
                    f"{url!r}; it leaves the package (needs network)",
                    f"{name}:{line}",
                )
            else:
                yield _load_finding(name, line, url, f"<{tag} {attr}>")
    if el.get("style"):
        yield from _scan_css(name, el.get("style", ""), line)
    if tag == "style" and el.text:
        yield from _scan_css(name, el.text, line)
    if tag == "script" and el.text:
        yield from _scan_js(name, el.text, line)


def _attr_urls(value: str | None, attr: str) -> list[str]:
    if not value:
        return []
    urls = [c.strip().split()[0] for c in value.split(",") if c.strip()] if attr == "srcset" else [value]
    return [u.strip() for u in urls if _is_external(u)]
