"""The structured content loses nothing from the chapter's source text (the seed).

Every line of the seed must appear, after normalisation, in a string of the course metadata or the
chapter. A few seed lines are UI affordances or are derived from structured fields; those are on an
explicit allow-list, each with a reason, and the structured fields they come from are checked instead.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from enum import Enum
from pathlib import Path

from pydantic import BaseModel

from courseware import CourseContent, load_content
from courseware.model import ExercisePart, QuizPart

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"
#: The chapter's source text, copied into the repository (tests/data/seed/PROVENANCE.md says from where).
SEED = Path(__file__).resolve().parent / "data" / "seed" / "ch14-service-value-chain.txt"
PROVENANCE = SEED.with_name("PROVENANCE.md")

#: Fields that hold identifiers, references or metadata, not text the learner reads.
NON_TEXT_FIELDS = {
    "id",
    "identifier",
    "kind",
    "language",
    "version",
    "publisher",
    "objective",
    "objectives",
    "answer",
    "pool",
    "style",
    "source",
}

#: Seed lines (normalised) that need not appear verbatim, and why.
ALLOWED_MISSING = {
    r"Chapter \d+ of \d+": "derived from course.chapter_number/chapter_count (test_chapter_position)",
    r"Show Answer": "a button the quiz renders, not content",
    r"Answer: [A-D]\) .+": "derived from the correct option (test_quiz_answers_match_the_seed)",
    r"\d+ → .+": "derived from the exercise step answers (test_exercise_mapping_matches_the_seed)",
    r"Your task": "a heading the exercise renders above `task`",
}


# --- helpers -------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Drop Markdown bold and a list marker, collapse whitespace."""
    text = " ".join(text.replace("**", "").split())
    return text.removeprefix("- ")


def seed_lines() -> list[str]:
    lines = [normalise(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line]


def strings_in(value: object) -> list[str]:
    """Every text string in a model, list or value, skipping identifier and metadata fields."""
    if isinstance(value, Enum):
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, BaseModel):
        return [
            text
            for name in type(value).model_fields
            if name not in NON_TEXT_FIELDS
            for text in strings_in(getattr(value, name))
        ]
    if isinstance(value, list | tuple):
        return [text for entry in value for text in strings_in(entry)]
    return []


def corpus(content: CourseContent) -> list[str]:
    """The text a learner meets: course metadata and every chapter part (not the bank or objectives)."""
    return [normalise(text) for text in strings_in(content.course) + strings_in(content.chapter)]


def allowed(line: str) -> bool:
    return any(re.fullmatch(pattern, line) for pattern in ALLOWED_MISSING)


def missing_seed_lines(content: CourseContent, lines: list[str]) -> list[str]:
    texts = corpus(content)
    return [line for line in lines if not allowed(line) and not any(line in text for text in texts)]


def seed_quizzes() -> list[dict]:
    """Each seed quiz: its title, the option lines, and the answer letter and text."""
    lines = seed_lines()
    quizzes = []
    for index, line in enumerate(lines):
        if re.fullmatch(r"Quiz \d+: .+", line):
            show = lines.index("Show Answer", index)
            answer = re.fullmatch(r"Answer: ([A-D])\) (.+)", lines[show + 1])
            assert answer, lines[show + 1]
            quizzes.append(
                {
                    "title": line,
                    "stem": lines[index + 2],
                    "options": lines[index + 3 : show],
                    "letter": answer[1],
                    "answer": answer[2],
                }
            )
    return quizzes


def seed_mapping() -> list[tuple[int, str]]:
    return [
        (int(match[1]), match[2]) for line in seed_lines() if (match := re.fullmatch(r"(\d+) → (.+)", line))
    ]


# --- the seed is all there -----------------------------------------------------------------


def test_seed_is_where_the_tests_expect_it():
    assert SEED.is_file(), f"seed not found at {SEED}"
    assert SEED.resolve().is_relative_to(ROOT), f"{SEED} is outside the repository"
    assert len(seed_lines()) > 100


def test_seed_copy_is_the_one_its_provenance_names():
    """An edit to the copy would quietly change what fidelity means: its hash must match the record."""
    recorded = re.search(r"^\| sha256 \| ([0-9a-f]{64}) \|$", PROVENANCE.read_text(encoding="utf-8"), re.M)
    assert recorded, f"{PROVENANCE}: no sha256 row"
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == recorded.group(1)


def test_every_seed_line_is_in_the_content():
    missing = missing_seed_lines(load_content(CONTENT), seed_lines())
    assert missing == [], "seed lines missing from the content:\n" + "\n".join(missing)


def test_every_allow_list_entry_is_used():
    """A stale exception would hide nothing today but could hide a loss tomorrow."""
    lines = seed_lines()
    for pattern, reason in ALLOWED_MISSING.items():
        assert any(re.fullmatch(pattern, line) for line in lines), f"unused exception {pattern!r} ({reason})"


def test_allow_list_does_not_cover_real_content():
    """The exceptions match only the UI and derived lines, nothing else in the seed."""
    excused = [line for line in seed_lines() if allowed(line)]
    assert len(excused) == 1 + 2 + 2 + 6 + 1  # chapter position, Show Answer x2, answers x2, mapping x6, task


def test_a_deleted_sentence_is_caught(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    chapter = root / "chapter.yaml"
    text = chapter.read_text(encoding="utf-8")
    sentence = "          features. This relationship-building work is engage.\n"
    assert text.count(sentence) == 1
    chapter.write_text(text.replace(sentence, "          features.\n"), encoding="utf-8")
    missing = missing_seed_lines(load_content(root), seed_lines())
    assert missing == [
        "A SaaS provider holds quarterly reviews with a client to discuss needs and upcoming features. "
        "This relationship-building work is engage."
    ]


def test_a_deleted_card_title_is_caught(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    chapter = root / "chapter.yaml"
    text = chapter.read_text(encoding="utf-8")
    old = "      - title: Design vs Obtain/Build\n"
    assert text.count(old) == 1
    chapter.write_text(text.replace(old, "      - title: Design or build\n"), encoding="utf-8")
    assert missing_seed_lines(load_content(root), seed_lines()) == ["Design vs Obtain/Build"]


def test_normalise_strips_bold_labels_list_markers_and_whitespace():
    assert normalise("**Plan:** shared\n   understanding") == "Plan: shared understanding"
    assert normalise("- Improve") == "Improve"
    assert normalise("  ") == ""


def test_corpus_skips_identifiers_and_enums():
    texts = corpus(load_content(CONTENT))
    assert "chapter" not in texts  # pool
    assert "lesson" not in texts  # kind
    assert "thought-exercise" not in texts  # id
    assert "Key Terms" in texts


# --- derived lines: checked against the structured fields ----------------------------------


def test_chapter_position():
    match = re.fullmatch(r"Chapter (\d+) of (\d+)", seed_lines()[0])
    assert match
    course = load_content(CONTENT).course
    assert (course.chapter_number, course.chapter_count) == (int(match[1]), int(match[2]))


def test_quiz_answers_match_the_seed():
    content = load_content(CONTENT)
    quizzes = content.chapter.parts_of(QuizPart)
    seeds = seed_quizzes()
    assert [normalise(part.title) for part in quizzes] == [seed["title"] for seed in seeds]
    for part, seed in zip(quizzes, seeds, strict=True):
        item = part.item
        assert normalise(item.stem) == seed["stem"]
        assert [normalise(option.text) for option in item.options] == seed["options"]
        assert item.answer_letter.upper() == seed["letter"]
        assert normalise(item.options[item.answer_index].text) == seed["answer"]


def test_exercise_mapping_matches_the_seed():
    content = load_content(CONTENT)
    (exercise,) = content.chapter.parts_of(ExercisePart)
    mapping = seed_mapping()
    assert [number for number, _ in mapping] == list(range(1, len(exercise.steps) + 1))
    titles = [content.objective(step.answer).title for step in exercise.steps]
    assert titles == [title for _, title in mapping]


def test_exercise_steps_are_in_seed_order():
    lines = seed_lines()
    (exercise,) = load_content(CONTENT).chapter.parts_of(ExercisePart)
    positions = [lines.index(normalise(step.text)) for step in exercise.steps]
    assert positions == sorted(positions)


def test_chapter_parts_are_in_seed_order():
    lines = seed_lines()
    titles = [normalise(part.title) for part in load_content(CONTENT).chapter.parts]
    positions = [lines.index(title) for title in titles]
    assert positions == sorted(positions)
