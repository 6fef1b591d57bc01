"""One module per output format, and the registry the CLI reads.

Every format turns the same `CourseContent` into files for one kind of LMS import. A format module
registers itself with `register(Format(...))`; `scorm-builder build --format NAME` and
`build --help` list what is registered here, so adding a format is: write its module, import it
below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from courseware.model import CourseContent
from scorm_builder.registry import Registry


class Built(Protocol):
    """What a format reports for each file it wrote."""

    path: Path
    size: int


class Builder(Protocol):
    def __call__(
        self,
        content: CourseContent,
        out_dir: Path,
        *,
        multi_sco: bool,
        progress: Callable[[str], None],
    ) -> list[Built]: ...


@dataclass(frozen=True)
class Format:
    name: str  # the value of --format
    summary: str  # one line for --help and the README table
    build: Builder


FORMATS: Registry[Format] = Registry("format")
register = FORMATS.register


# Each import registers one format; the order is the order --help lists them in.
from scorm_builder.formats import scorm12, scorm2004  # noqa: E402,F401,I001
from scorm_builder.formats import cmi5, cc  # noqa: E402,F401
