"""The manifest: where it is, parsing it safely, and its structural checks (hrefs are in hrefs.py).

SCORM 1.2 and SCORM 2004 4th Edition manifests are both read: the version comes from the manifest's
namespace (IMS CP 1.1.2 for 1.2, IMS CP 1.1 for 2004) or, failing that, its <schemaversion>; the
schema set and the version's rules (the adlcp namespace, scormtype vs scormType) follow from it.

A manifest comes from anyone, so it is parsed with no DTD, no entities and no network: a DOCTYPE is
reported as an error and the manifest is not read further (entity expansion is a classic attack, and
entity nodes break schema validation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from lxml import etree

from scorm_builder.schema import ADLCP_NS
from scorm_builder.validation.findings import Finding, error, warning
from scorm_builder.validation.versions import SCORM12, SCORM2004, Version, detect_version, says_2004

MANIFEST = "imsmanifest.xml"
SCORMTYPE = f"{{{ADLCP_NS}}}scormtype"
TIME_LIMIT_ACTIONS = ("exit,message", "exit,no message", "continue,message", "continue,no message")
_DOCTYPE = re.compile(rb"<\x00?!\x00?D\x00?O\x00?C\x00?T\x00?Y\x00?P\x00?E")  # UTF-8 or UTF-16
_TIMESPAN = re.compile(r"^\d{2,4}:([0-5]\d):([0-5]\d)(\.\d{1,2})?$")

# --------------------------------------------------------------------------- manifest discovery


def locate_manifest(names: Collection[str]) -> tuple[str | None, list[Finding]]:
    """The manifest's zip path (root preferred) and any finding about where or how it was found."""
    if MANIFEST in names:
        return MANIFEST, []
    candidates = sorted((n for n in names if PurePosixPath(n).name.lower() == MANIFEST), key=len)
    if not candidates:
        return None, [error("manifest-missing", f"no {MANIFEST} in the package (it must be at the zip root)")]
    found = candidates[0]
    if "/" not in found:
        return found, [
            error(
                "manifest-name-case",
                f"manifest is named {found!r}; it must be exactly "
                f"{MANIFEST!r} (LMSs on case-sensitive file systems won't find it)",
                found,
            )
        ]
    return found, [
        error(
            "manifest-not-at-root",
            f"{MANIFEST} found at {found!r} but it must be at the zip root; zip the contents of "
            f"{found.rsplit('/', 1)[0]!r}, not the folder itself (its hrefs were checked relative to it)",
            found,
        )
    ]


def parse_manifest(data: bytes, location: str) -> tuple[etree._ElementTree | None, list[Finding]]:
    """The manifest tree, or None with the reason; never loads a DTD, expands an entity or fetches."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        tree = etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        if _DOCTYPE.search(data):
            return None, [_doctype(location, f"libxml2 refused it: {exc.msg}")]
        line = exc.lineno or 0
        where = f"{location}:{line}" if line else location
        return None, [error("manifest-malformed", f"{location} is not well-formed XML: {exc.msg}", where)]
    if tree.docinfo.doctype:
        return None, [_doctype(location, repr(tree.docinfo.doctype[:80]))]
    return tree, []


def _doctype(location: str, detail: str) -> Finding:
    return error(
        "manifest-doctype",
        f"{location} has a DOCTYPE ({detail}); SCORM manifests have none, and LMS parsers refuse it "
        "or expand its entities (an XML bomb); remove it",
        location,
    )


# --------------------------------------------------------------------------- manifest checks


@dataclass
class Manifest:
    """A parsed manifest and the package's entry names, addressed relative to the manifest's folder."""

    tree: etree._ElementTree
    path: str
    files: Collection[str]
    version: Version = SCORM12
    _by_lower: dict[str, str] | None = field(default=None, repr=False)

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

    def same_but_case(self, path: str) -> str | None:
        """An entry whose name differs from ``path`` only in letter case (one index, built once)."""
        if self._by_lower is None:
            self._by_lower = {}
            for name in self.files:
                self._by_lower.setdefault(name.lower(), name)
        return self._by_lower.get(path.lower())


Check = Callable[[Manifest], Iterator[Finding]]


def manifest_findings(
    names: Collection[str], path: str, data: bytes, checks: tuple[Check, ...]
) -> list[Finding]:
    """Parse the manifest at ``path`` and run the schema and ``checks`` on it."""
    tree, findings = parse_manifest(data, path)
    if tree is None:
        return findings
    version = detect_version(tree)
    try:
        issues = version.schema_issues(tree)
    except etree.Error as exc:  # libxml2 gives up on some trees instead of reporting them
        issues = []
        findings.append(error("schema", f"{path} could not be checked against the schema: {exc}", path))
    findings += [error("schema", issue.message, f"{path}:{issue.line}") for issue in issues]
    m = Manifest(tree, path, names, version)
    for check in checks:
        findings += check(m)
    return findings


def _check_root(m: Manifest) -> Iterator[Finding]:
    other = SCORM2004 if m.version is SCORM12 else SCORM12
    if m.root.tag != f"{{{m.version.imscp}}}manifest":
        yield error(
            "manifest-namespace",
            f"root element is {m.root.tag!r}; SCORM {m.version.name} needs <manifest> in "
            f"namespace {m.version.imscp!r} (SCORM {other.name} uses {other.imscp!r})",
            m.loc(m.root),
        )
        return
    declared = m.root.find(f"{m.q('metadata')}/{m.q('schemaversion')}")
    text = "" if declared is None else (declared.text or "").strip()
    if text and says_2004(text) != (m.version is SCORM2004):
        yield error(
            "manifest-namespace",
            f"<schemaversion> is {text!r} but <manifest> is in SCORM {m.version.name}'s namespace "
            f"{m.version.imscp!r}; a SCORM {other.name} manifest uses {other.imscp!r}",
            m.loc(m.root),
        )


def _check_metadata(m: Manifest) -> Iterator[Finding]:
    metadata = m.root.find(m.q("metadata"))
    for tag, code, expected in (
        ("schema", "metadata-schema", "ADL SCORM"),
        ("schemaversion", "metadata-schemaversion", m.version.schemaversion),
    ):
        el = None if metadata is None else metadata.find(m.q(tag))
        if el is None:
            yield error(code, f"manifest <metadata> lacks <{tag}>{expected}</{tag}>", m.loc(m.root))
        elif (el.text or "").strip() != expected:
            yield error(
                code,
                f"<{tag}> is {(el.text or '').strip()!r}; SCORM {m.version.name} requires {expected!r}",
                m.loc(el),
            )


def _check_organizations(m: Manifest) -> Iterator[Finding]:
    orgs_el = m.root.find(m.q("organizations"))
    if orgs_el is None:
        return  # the schema check reports the missing element
    org_ids = [o.get("identifier") for o in orgs_el.findall(m.q("organization"))]
    if not org_ids:
        yield warning(
            "no-organization",
            "<organizations> is empty: learners get nothing to launch in most LMSs",
            m.loc(orgs_el),
        )
    default = orgs_el.get("default")
    if default is not None and default not in org_ids:
        yield error(
            "default-org-missing",
            f"<organizations default={default!r}> names no <organization>; "
            f"known: {', '.join(map(repr, org_ids)) or 'none'}",
            m.loc(orgs_el),
        )


def _check_identifiers(m: Manifest) -> Iterator[Finding]:
    seen: dict[str, etree._Element] = {}
    for el in m.root.iter(etree.Element):
        ident = el.get("identifier")
        if ident is None:
            continue
        if ident in seen:
            yield error(
                "duplicate-identifier",
                f"identifier {ident!r} on <{etree.QName(el).localname}> is "
                f"already used at line {seen[ident].sourceline}",
                m.loc(el),
            )
        else:
            seen[ident] = el


def _resources(m: Manifest) -> dict[str, etree._Element]:
    return {r.get("identifier", ""): r for r in m.all("resource")}


def _check_items(m: Manifest) -> Iterator[Finding]:
    resources = _resources(m)
    for item in m.all("item"):
        ref, ident = item.get("identifierref"), item.get("identifier")
        if ref is None:
            if item.find(m.q("item")) is None:
                yield warning(
                    "item-no-resource",
                    f"leaf <item identifier={ident!r}> has no identifierref, so it launches nothing",
                    m.loc(item),
                )
        elif ref not in resources:
            yield error(
                "dangling-identifierref",
                f"<item identifier={ident!r}> identifierref={ref!r} matches no <resource identifier>",
                m.loc(item),
            )
        elif resources[ref].get("href") is None:
            yield error(
                "item-not-launchable",
                f"<item identifier={ident!r}> refers to resource {ref!r}, which has no href to launch",
                m.loc(item),
            )


def _check_dependencies(m: Manifest) -> Iterator[Finding]:
    resources = _resources(m)
    for dep in m.all("dependency"):
        ref = dep.get("identifierref")
        if ref is not None and ref not in resources:
            owner = dep.getparent().get("identifier") if dep.getparent() is not None else None
            yield error(
                "dangling-dependency",
                f"<dependency identifierref={ref!r}> in resource {owner!r} matches no <resource identifier>",
                m.loc(dep),
            )


def _check_adlcp_prefix(m: Manifest) -> Iterator[Finding]:
    """Moodle (and others) match the literal ``adlcp:`` prefix, so any other binding breaks them."""
    reported: set[tuple[str | None, str]] = set()
    adlcp = m.version.adlcp
    for el in m.root.iter(etree.Element):
        for prefix, uri in el.nsmap.items():
            wrong = (uri == adlcp) != (prefix == "adlcp")
            if not wrong or (prefix, uri) in reported:
                continue
            reported.add((prefix, uri))
            if uri == adlcp:
                shown = f"prefix {prefix!r}" if prefix else "the default namespace"
                yield error(
                    "adlcp-prefix",
                    f"the adlcp namespace {adlcp!r} is bound to {shown}; "
                    "it must use the prefix 'adlcp' (LMS parsers match it literally)",
                    m.loc(el),
                )
            else:
                yield error(
                    "adlcp-prefix",
                    f"prefix 'adlcp' is bound to {uri!r}; SCORM {m.version.name} needs {adlcp!r}",
                    m.loc(el),
                )


def _check_scormtype(m: Manifest) -> Iterator[Finding]:
    """1.2: a missing adlcp:scormtype makes an asset (a warning); 2004's CAM requires adlcp:scormType."""
    name = m.version.scormtype
    for res in m.all("resource"):
        ident, kind = res.get("identifier"), res.get(f"{{{m.version.adlcp}}}{name}")
        if kind is None:
            near = [a for a in res.attrib if etree.QName(a).localname.lower() == "scormtype"]
            hint = (
                f" (found {etree.QName(near[0]).localname!r} in {etree.QName(near[0]).namespace!r})"
                if near
                else ""
            )
            report = error if m.version is SCORM2004 else warning
            consequence = (
                "SCORM 2004 requires it on every resource (sco or asset)"
                if m.version is SCORM2004
                else "LMSs treat it as an asset and track nothing"
            )
            message = f"resource {ident!r} has no adlcp:{name}{hint}; {consequence}"
            yield report("scormtype-missing", message, m.loc(res))
        elif kind == "sco" and not res.get("href"):
            yield error("sco-missing-href", f"resource {ident!r} is a sco but has no href", m.loc(res))


def _check_item_adlcp(m: Manifest) -> Iterator[Finding]:
    for el in m.root.iter(f"{{{ADLCP_NS}}}masteryscore"):
        yield from _masteryscore(m, el)
    for el in m.root.iter(f"{{{ADLCP_NS}}}maxtimeallowed"):
        text = (el.text or "").strip()
        if not _TIMESPAN.match(text):
            yield error(
                "bad-maxtimeallowed",
                f"adlcp:maxtimeallowed {text!r} is not a CMITimespan HHHH:MM:SS.SS (e.g. '00:30:00')",
                m.loc(el),
            )
    for el in m.root.iter(f"{{{ADLCP_NS}}}timelimitaction"):
        text = (el.text or "").strip()
        if text not in TIME_LIMIT_ACTIONS:
            yield error(
                "bad-timelimitaction",
                f"adlcp:timelimitaction {text!r} is not one of {', '.join(map(repr, TIME_LIMIT_ACTIONS))}",
                m.loc(el),
            )


def _masteryscore(m: Manifest, el: etree._Element) -> Iterator[Finding]:
    text = (el.text or "").strip()
    try:
        ok = 0 <= float(text) <= 100
    except ValueError:
        ok = False
    if not ok:
        yield error(
            "bad-masteryscore", f"adlcp:masteryscore {text!r} is not a number from 0 to 100", m.loc(el)
        )


STRUCTURE_CHECKS: tuple[Check, ...] = (
    _check_root,
    _check_metadata,
    _check_organizations,
    _check_identifiers,
    _check_items,
    _check_dependencies,
    _check_adlcp_prefix,
    _check_scormtype,
    _check_item_adlcp,
)
