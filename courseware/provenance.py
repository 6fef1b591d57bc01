"""Where each piece of content was written, so cross-file problems point at file, line and field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from courseware.errors import Location

PathKey = tuple[str | int, ...]


def dotted(path: Sequence[str | int]) -> str:
    """('items', 0, 'options') -> 'items[0].options', as authors read a YAML path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class SourceMap:
    """The line where each value of one YAML document starts, by its path of keys and indexes."""

    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)

    def location(self, path: Sequence[str | int]) -> Location:
        key = tuple(path)
        while key and key not in self.lines:
            key = key[:-1]
        return Location(self.file, self.lines.get(key))


@dataclass
class Provenance:
    """Each entity (item, part, objective, blueprint) by kind and id: every place it was written."""

    places: dict[tuple[str, str], list[tuple[SourceMap, PathKey]]] = field(default_factory=dict)

    def add(self, kind: str, ident: str, source_map: SourceMap, path: PathKey) -> None:
        self.places.setdefault((kind, ident), []).append((source_map, path))

    def every(self, kind: str, ident: str, *sub: str | int) -> list[tuple[Location, str]]:
        """(location, field) of `sub` inside each place the entity was written."""
        return [
            (source_map.location((*path, *sub)), dotted((*path, *sub)))
            for source_map, path in self.places.get((kind, ident), [])
        ]

    def at(self, kind: str, ident: str, *sub: str | int) -> tuple[Location, str]:
        found = self.every(kind, ident, *sub)
        return found[0] if found else (Location(""), dotted(sub))
