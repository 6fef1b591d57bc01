"""Load `content/` (YAML) into the typed model, with errors that point at file, line and field.

Layout of a content directory:
    course.yaml        the course and chapter metadata
    objectives.yaml    learning objectives
    chapter.yaml       the chapter's parts in order (lessons, exercise, quizzes, flashcards, terms)
    items/*.yaml       the item bank for the diagnostic and the mock exam
    blueprints.yaml    how each assessment is assembled
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError

from courseware.errors import ContentError, ContentProblem, Location
from courseware.model import (
    PART_KINDS,
    BlueprintFile,
    Chapter,
    Course,
    CourseContent,
    ItemFile,
    ObjectiveFile,
)
from courseware.provenance import PathKey, Provenance, SourceMap, dotted
from courseware.validation import validate_content

M = TypeVar("M", bound=BaseModel)


def load_content(content_dir: Path | str) -> CourseContent:
    """Load and validate the whole course; raise ContentError listing every problem found."""
    content, _ = load_content_with_provenance(content_dir)
    return content


def load_content_with_provenance(content_dir: Path | str) -> tuple[CourseContent, Provenance]:
    root = Path(content_dir)
    if not root.is_dir():
        raise ContentError([ContentProblem(Location(str(root)), "", "content directory not found")])
    problems: list[ContentProblem] = []
    provenance = Provenance()
    reader = _Reader(root, problems, provenance)
    course = reader.read("course.yaml", Course)
    objectives = reader.read("objectives.yaml", ObjectiveFile, register=("objectives", "objective"))
    chapter = reader.read("chapter.yaml", Chapter, register=("parts", "part"))
    blueprints = reader.read("blueprints.yaml", BlueprintFile, register=("blueprints", "blueprint"))
    item_files = sorted((root / "items").glob("*.yaml")) if (root / "items").is_dir() else []
    if not item_files:
        problems.append(ContentProblem(Location("items/"), "", "no item bank files (items/*.yaml) found"))
    items = []
    for path in item_files:
        item_file = reader.read(f"items/{path.name}", ItemFile, register=("items", "item"))
        items += item_file.items if item_file else []
    if problems or None in (course, objectives, chapter, blueprints):
        raise ContentError(problems)
    for index, part in enumerate(chapter.parts):
        if hasattr(part, "item"):
            provenance.add("item", part.item.id, reader.maps["chapter.yaml"], ("parts", index, "item"))
    content = CourseContent(
        course=course,
        objectives=objectives.objectives,
        chapter=chapter,
        items=items,
        blueprints=blueprints.blueprints,
    )
    problems += validate_content(content, provenance)
    if problems:
        raise ContentError(problems)
    return content, provenance


MAX_YAML_BYTES = 1024 * 1024
"""A content file is a few KiB; a bigger one is a mistake or an attack, refused before parsing."""
MAX_YAML_DEPTH = 64
MAX_YAML_ALIASES = 1000
MAX_YAML_NODES = 200_000
"""Nodes after expanding aliases: what the model and the line index walk (a billion laughs is 10^9)."""


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with limits checked while composing, before anything is expanded.

    SafeLoader builds no arbitrary objects, but it still follows aliases (shared nodes a walker
    expands: "billion laughs") and recurses once per nesting level (RecursionError at ~1,000). Each
    alias is charged the expanded size of the node it names, so the limit holds for the walk.
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0
        self._expanded = 0
        self._sizes: dict[str, int] = {}

    def _refuse(self, problem: str) -> None:
        raise ComposerError(None, None, problem, self.peek_event().start_mark)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            self._expanded += self._sizes.get(event.anchor, 1)
            if self._aliases > MAX_YAML_ALIASES:
                self._refuse(f"more than {MAX_YAML_ALIASES} aliases (*name)")
            if self._expanded > MAX_YAML_NODES:
                self._refuse(f"aliases expand to more than {MAX_YAML_NODES} values")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            self._refuse(f"nested deeper than {MAX_YAML_DEPTH} levels")
        start = self._expanded
        self._expanded += 1
        if self._expanded > MAX_YAML_NODES:
            self._refuse(f"more than {MAX_YAML_NODES} values")
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._sizes[anchor] = self._expanded - start
        return node


class _Reader:
    def __init__(self, root: Path, problems: list[ContentProblem], provenance: Provenance):
        self.root = root
        self.problems = problems
        self.provenance = provenance
        self.maps: dict[str, SourceMap] = {}

    def read(self, name: str, model: type[M], register: tuple[str, str] | None = None) -> M | None:
        path = self.root / name
        if not path.is_file():
            self.problems.append(ContentProblem(Location(name), "", "file not found"))
            return None
        with path.open("rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
        if len(raw) > MAX_YAML_BYTES:
            limit = f"{MAX_YAML_BYTES / 2**20:g} MiB"
            self.problems.append(ContentProblem(Location(name), "", f"file is over {limit}; split it"))
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            self.problems.append(ContentProblem(Location(name), "", f"not UTF-8 text ({error.reason})"))
            return None
        data, source_map = self._parse(name, text)
        if source_map is None:
            return None
        self.maps[name] = source_map
        try:
            parsed = model.model_validate(data)
        except ValidationError as error:
            self.problems += _problems_from(error, source_map)
            return None
        if register:
            self._register(parsed, source_map, *register)
        return parsed

    def _parse(self, name: str, text: str) -> tuple[Any, SourceMap | None]:
        source_map = SourceMap(name)
        try:
            loader = _LimitedLoader(text)
            try:
                node = loader.get_single_node()
                data = None if node is None else loader.construct_document(node)
            finally:
                loader.dispose()
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark else None
            problem = getattr(error, "problem", None) or str(error)
            self.problems.append(ContentProblem(Location(name, line), "", f"invalid YAML: {problem}"))
            return None, None
        if node is None:
            self.problems.append(ContentProblem(Location(name), "", "file is empty"))
            return None, None
        self.problems += _index_nodes(node, (), source_map)
        return data, source_map

    def _register(self, parsed: BaseModel, source_map: SourceMap, list_field: str, kind: str) -> None:
        for index, entry in enumerate(getattr(parsed, list_field)):
            self.provenance.add(kind, entry.id, source_map, (list_field, index))


def _index_nodes(node: yaml.Node, path: PathKey, source_map: SourceMap) -> list[ContentProblem]:
    """Record the line of every value; report duplicate keys, which YAML would silently drop."""
    source_map.lines[path] = node.start_mark.line + 1
    problems: list[ContentProblem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                location = Location(source_map.file, key_node.start_mark.line + 1)
                problems.append(ContentProblem(location, dotted((*path, key)), "duplicate key"))
            seen.add(key)
            problems += _index_nodes(value_node, (*path, key), source_map)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            problems += _index_nodes(child, (*path, index), source_map)
    return problems


def _problems_from(error: ValidationError, source_map: SourceMap) -> list[ContentProblem]:
    problems = []
    for detail in error.errors():
        path = _yaml_path(detail["loc"])
        message = detail["msg"].removeprefix("Value error, ")
        if detail["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        problems.append(ContentProblem(source_map.location(path), dotted(path), message))
    return problems


def _yaml_path(loc: Iterable[str | int]) -> PathKey:
    """Drop pydantic's union tags (e.g. 'lesson' in parts.0.lesson.cards) to get the YAML path."""
    parts = list(loc)
    return tuple(
        p for i, p in enumerate(parts) if not (p in PART_KINDS and i > 0 and isinstance(parts[i - 1], int))
    )
