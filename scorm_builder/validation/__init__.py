"""Validate any SCORM 1.2 or 2004 zip the way an LMS will read it, and report every problem at once.

LMS import errors are terse ("invalid package") and usually stop at the first problem, so every
problem is collected, each with a stable code, the file inside the zip and the line. The zip comes
from anyone: reading it is bounded in memory and time (archive.py), the manifest is parsed without
DTDs or entities (manifest.py), and content is checked for external URLs with real parsers (urls.py
and the scanners). Modules: findings, archive, manifest, hrefs, urls, html, css, js.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from scorm_builder.validation import css, html, js  # noqa: F401  (they register their scanners)
from scorm_builder.validation.archive import (
    Limits,
    central_directory_findings,
    header_findings,
    read_entries,
    refuses_archive,
)
from scorm_builder.validation.findings import (
    Finding,
    Report,
    Severity,
    error,
    format_report,
    sorted_findings,
)
from scorm_builder.validation.hrefs import HREF_CHECKS
from scorm_builder.validation.manifest import STRUCTURE_CHECKS, locate_manifest, manifest_findings
from scorm_builder.validation.urls import content_kind, scan_file

__all__ = ["Finding", "Limits", "Report", "Severity", "format_report", "validate_files", "validate_package"]

_DRIVE = re.compile(r"^[a-zA-Z]:")
_CHECKS = (*STRUCTURE_CHECKS, *HREF_CHECKS)


def validate_package(path: Path, limits: Limits | None = None) -> Report:
    """Read the zip at ``path`` and run every check; an unreadable or hostile zip is reported, not raised."""
    path, limits = Path(path), limits or Limits()
    try:
        with path.open("rb") as fp:
            findings = _validate_zip(fp, limits)
    except FileNotFoundError:
        return Report(path.name, [error("package-unreadable", f"{path}: no such file")])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        code = "not-a-zip" if not _looks_like_zip(path) else "corrupt-zip"
        what = "is not a zip file" if code == "not-a-zip" else f"is a damaged zip file ({exc})"
        return Report(path.name, [error(code, f"{path.name} {what}; a SCORM package must be a .zip")])
    return Report(path.name, sorted_findings(findings))


def validate_files(files: Mapping[str, bytes], name: str = "package", limits: Limits | None = None) -> Report:
    """Run every check on an in-memory package ``{zip path: bytes}`` (directories end with "/")."""
    limits = limits or Limits()
    findings = list(_entry_findings(files))
    manifest, located = locate_manifest(files)
    findings += located
    if manifest is not None:
        findings += _manifest(files, manifest, files[manifest], limits)
    budget = _Budget(limits)
    for entry, data in files.items():
        findings += budget.refuse(entry, len(data)) or scan_file(entry, data)
    return Report(name, sorted_findings(findings))


def _validate_zip(fp: BinaryIO, limits: Limits) -> list[Finding]:
    findings = central_directory_findings(fp, limits)
    if findings:
        return findings
    with zipfile.ZipFile(fp) as zf:
        infos = zf.infolist()
    findings, skip = header_findings(infos, limits)
    if refuses_archive(findings):
        return findings
    names = [i.filename for i in infos]
    findings += _entry_findings(names)
    manifest, located = locate_manifest(set(names))
    findings += located
    budget = _Budget(limits)
    refused = {i.filename: budget.refuse(i.filename, i.file_size) for i in infos if i.filename not in skip}
    findings += [f for problems in refused.values() for f in problems]
    scanned = {name for name, problems in refused.items() if not problems and content_kind(name)}

    declared = {i.filename: i.file_size for i in infos}
    if manifest is not None and declared[manifest] > limits.max_manifest_size:
        findings.append(_manifest_too_large(manifest, declared[manifest], limits))
        manifest = None

    def keep(info: zipfile.ZipInfo) -> bool:
        return info.filename == manifest or info.filename in scanned

    manifest_data: bytes | None = None
    for item in read_entries(fp, infos, skip, keep):
        if isinstance(item, Finding):
            findings.append(item)
            continue
        entry, data = item
        if entry == manifest:
            manifest_data = data
        if entry in scanned:
            findings += scan_file(entry, data or b"")
    if manifest is not None and manifest_data is not None:
        findings += _manifest(set(names), manifest, manifest_data, limits)
    return findings


def _manifest(names: Collection[str], path: str, data: bytes, limits: Limits) -> list[Finding]:
    if len(data) > limits.max_manifest_size:
        return [_manifest_too_large(path, len(data), limits)]
    return manifest_findings(names, path, data, _CHECKS)


def _manifest_too_large(path: str, size: int, limits: Limits) -> Finding:
    return error(
        "manifest-too-large",
        f"{path} is {size / 2**20:.1f} MiB; the limit is {limits.max_manifest_size / 2**20:.0f} MiB "
        "(real manifests are a few KiB)",
        path,
    )


class _Budget:
    """How much content may still be scanned; a file over a limit is an error, not skipped quietly."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = limits.max_scanned_total

    def refuse(self, name: str, size: int) -> list[Finding]:
        if content_kind(name) is None:
            return []
        if size > self.limits.max_scanned_size:
            why = f"over the {self.limits.max_scanned_size / 2**20:.0f} MiB per file"
        elif size > self.left:
            why = f"beyond the {self.limits.max_scanned_total / 2**20:.0f} MiB of content per package"
        else:
            self.left -= size
            return []
        return [
            error(
                "content-too-large",
                f"{name} ({size / 2**20:.1f} MiB) is {why} that is checked for external URLs, so it "
                "was not checked; split or shrink it",
                name,
            )
        ]


def _looks_like_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False


def _entry_findings(names: Iterable[str]) -> Iterator[Finding]:
    """Entries that would be written outside the extraction folder, or differently per platform."""
    for name in names:
        if "\\" in name:
            yield error("unsafe-path", f"zip entry {name!r} contains a backslash; use '/' separators", name)
        posix = name.replace("\\", "/")
        if posix.startswith("/") or _DRIVE.match(posix):
            yield error("path-escapes-root", f"zip entry {name!r} is an absolute path", name)
        elif ".." in posix.split("/"):
            yield error(
                "path-escapes-root", f"zip entry {name!r} has a '..' segment (escapes the root)", name
            )
