"""Content problems, reported the way an author can act on them: file, line, field, message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Location:
    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class ContentProblem:
    location: Location
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location.file else ""
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class ContentError(Exception):
    """Raised when content is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[ContentProblem]):
        self.problems = sorted(problems, key=lambda p: (p.location.file, p.location.line or 0, p.field))
        super().__init__(self.summary())

    def summary(self) -> str:
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the course content:"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)
