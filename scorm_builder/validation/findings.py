"""Findings and reports: what every check returns, sorted so one run shows all there is to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


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


def error(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.error, code, message, location)


def warning(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.warning, code, message, location)


def info(code: str, message: str, location: str = "") -> Finding:
    return Finding(Severity.info, code, message, location)


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


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=_sort_key)
