"""A name -> entry table that modules fill by registering themselves (build formats, bank formats).

The CLI's --format choices and --help text are read from such a table, so adding a format is writing
its module and importing it; registering the same name twice is a programming error, caught at import.
"""

from __future__ import annotations

from typing import Protocol, TypeVar


class Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


class Registry(dict[str, T]):
    """A dict of entries by their `name`, which refuses a second entry of the same name."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def register(self, entry: T) -> T:
        if entry.name in self:
            raise ValueError(f"{self.kind} {entry.name!r} registered twice")
        self[entry.name] = entry
        return entry
