"""Question-bank exports: the course's items as files an LMS imports into its question bank.

`scorm-builder export-items --format NAME` writes one file per run. Every format gets the same
`Bank`: which items (the knowledge check and the open practice pool; the mock exam's secured pool
only on explicit request), in which category (one per objective) and with which tags (difficulty,
pool). Each format module turns it into bytes; nothing here knows about a file format.

Why a secured pool is left out by default: the mock exam is only worth something while its items
are unseen, so they are served by the LTI tool and never shipped (ARCHITECTURE.md). An author who
exports them on purpose says so with `--include-secure-pools` and is warned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from courseware.model import BlueprintKind, CourseContent, Item, Objective, Pool
from scorm_builder.registry import Registry

DIFFICULTY = {1: "easy", 2: "medium", 3: "hard"}
"""Difficulty 1-3 as the tag an LMS shows (`difficulty-easy`...)."""

POOL_TAGS = {Pool.chapter: "knowledge-check", Pool.open: "practice", Pool.mock: "mock-exam"}


@dataclass(frozen=True)
class BankItem:
    """One item as exported: the source item, its objective (the category) and its tags."""

    item: Item
    objective: Objective
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    """One objective's category, and its items in the order the course lists them."""

    objective: Objective
    path: tuple[str, ...]  # names below the LMS's top category: (chapter, objective title)
    items: tuple[BankItem, ...]


@dataclass(frozen=True)
class Bank:
    title: str
    language: str
    version: str
    categories: tuple[Category, ...]

    @property
    def items(self) -> list[BankItem]:
        return [entry for category in self.categories for entry in category.items]


@dataclass(frozen=True)
class BankFormat:
    name: str  # the value of --format
    summary: str
    suffix: str  # of the default output file name
    export: Callable[[Bank], bytes]


BANK_FORMATS: Registry[BankFormat] = Registry("bank format")
register = BANK_FORMATS.register


def secure_pools(content: CourseContent) -> frozenset[Pool]:
    """Pools only a mock exam draws from: what learners must not see before sitting it.

    The diagnostic shares the open pool with practice and the spaced review, so it is not secured;
    a pool a mock exam shares with any other blueprint is not secret either."""
    mock = {pool for b in content.blueprints if b.kind is BlueprintKind.mock_exam for pool in b.pools}
    other = {pool for b in content.blueprints if b.kind is not BlueprintKind.mock_exam for pool in b.pools}
    return frozenset(mock - other)


def build_bank(content: CourseContent, *, include_secure_pools: bool = False) -> Bank:
    """Select and order the items: by objective (objectives.yaml order), chapter quizzes first."""
    hidden = set() if include_secure_pools else secure_pools(content)
    selected = [item for item in content.all_items() if item.pool not in hidden]
    chapter = f"Ch {content.course.chapter_number} {content.course.chapter_title}"
    categories = []
    for objective in content.objectives:
        entries = tuple(
            BankItem(item, objective, (f"difficulty-{DIFFICULTY[item.difficulty]}", POOL_TAGS[item.pool]))
            for item in selected
            if item.objective == objective.id
        )
        if entries:
            categories.append(Category(objective, (chapter, objective.title), entries))
    return Bank(
        title=f"{content.course.title}: {chapter}",
        language=content.course.language,
        version=content.course.version,
        categories=tuple(categories),
    )


def moodle_category_path(path: tuple[str, ...]) -> str:
    """`$course$/top/...` with Moodle's escape for a slash inside a name (`//`, as in "Obtain/build")."""
    return "/".join(("$course$", "top", *(name.replace("/", "//") for name in path)))


# Each import registers one format; the order is the order --help lists them in.
from scorm_builder.banks import gift, moodle_xml, qti21  # noqa: E402,F401
