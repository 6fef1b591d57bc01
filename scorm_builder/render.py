"""Render SCO pages from the shared Jinja2 templates (`templates/`), the same look as the LTI tool."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from courseware.assessment import correct_needed
from courseware.markup import markdown_block, markdown_inline
from courseware.model import (
    BlueprintKind,
    CourseContent,
    ExercisePart,
    FlashcardsPart,
    ObjectiveKind,
    Part,
    QuizPart,
    Tracking,
)
from courseware.packaged import templates_dir
from scorm_builder.layout import Sco

TEMPLATES_DIR = templates_dir()


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_block
    env.filters["mdi"] = markdown_inline
    return env


def activity_choices(content: CourseContent) -> list[tuple[str, str, str]]:
    """(letter, objective id, title) for the exercise's matching targets: SCORM 1.2 wants 1-char ids."""
    activities = [o for o in content.objectives if o.kind is ObjectiveKind.activity]
    return [(chr(ord("a") + i), o.id, o.title) for i, o in enumerate(activities)]


def tracking_config(tracking: Tracking) -> dict:
    """The package's tracking options, as sco-app.js reads them."""
    return {
        "statusOnFail": tracking.status_on_fail,
        "statusWhenDone": tracking.status_when_done,
        "pageDoneAtEnd": tracking.page_done_at_end,
        "pageDoneAfterSeconds": tracking.page_done_after_seconds,
        "exitWhileIncomplete": tracking.exit_while_incomplete,
        "commitIntervalSeconds": tracking.commit_interval_seconds,
        "recordInteractions": tracking.record_interactions,
        "uniqueInteractionIds": tracking.unique_interaction_ids,
        "honourLmsMasteryScore": tracking.honour_lms_mastery_score,
    }


OPTION_NUMBER = re.compile(r"\bOption ([1-4])\b(?! \()")


def lettered_option_numbers(text: str) -> str:
    """Turn 'Option 3' into 'Option 3 (C)': the seed numbers options, the page letters them A-D."""
    return OPTION_NUMBER.sub(lambda m: f"Option {m[1]} ({'ABCD'[int(m[1]) - 1]})", text)


def for_the_page(part: Part) -> Part:
    """A quiz part whose rationales name options the way the page shows them; other parts as they are."""
    if not isinstance(part, QuizPart):
        return part
    item = part.item
    options = [
        option.model_copy(update={"rationale": lettered_option_numbers(option.rationale)})
        if option.rationale
        else option
        for option in item.options
    ]
    rationale = lettered_option_numbers(item.rationale)
    lettered = item.model_copy(update={"rationale": rationale, "options": options})
    return part.model_copy(update={"item": lettered})


def chapter_summary(sco: Sco, content: CourseContent) -> dict | None:
    """The closing page's pointers, for a multi-page SCO that ends the chapter."""
    if len(sco.pages) < 2 or sco.pages[-1].id != content.chapter.parts[-1].id:
        return None
    titles = {blueprint.kind: blueprint.title for blueprint in content.blueprints}
    return {
        "diagnostic": titles.get(BlueprintKind.diagnostic, "diagnostic"),
        "mock_exam": titles.get(BlueprintKind.mock_exam, "mock exam"),
    }


def pass_rule_config(sco: Sco) -> dict:
    """The pass rule as counts, computed here once with the server's function (courseware.assessment):
    the correct answers needed out of all quizzes, and out of each objective's quizzes."""
    quizzes = sco.quizzes
    if not quizzes or sco.pass_mark is None:
        return {"correctNeeded": None, "objectives": []}
    by_objective: dict[str, list[int]] = {}
    for index, quiz in enumerate(quizzes):
        by_objective.setdefault(quiz.item.objective, []).append(index)
    return {
        "correctNeeded": correct_needed(len(quizzes), sco.pass_mark),
        "objectives": [
            {"id": objective, "quizzes": found, "correctNeeded": correct_needed(len(found), sco.pass_mark)}
            for objective, found in by_objective.items()
        ],
    }


def sco_config(
    sco: Sco,
    content: CourseContent,
    tracking: Tracking | None = None,
    *,
    scorm: str = "1.2",
    next_activity: bool = False,
) -> dict:
    """What the page script needs: SCORM version, page order, the pass rule and the answers it grades."""
    letters = {objective_id: letter for letter, objective_id, _ in activity_choices(content)}
    config: dict = {
        "scorm": scorm,
        "sco": sco.id,
        "pages": [page.id for page in sco.pages],
        "masteryScore": sco.mastery_score,
        **pass_rule_config(sco),
        "nextActivity": next_activity,
        "quizzes": [
            {"id": q.item.id, "answer": q.item.answer_letter, "page": q.id, "objective": q.item.objective}
            for q in sco.quizzes
        ],
        "tracking": tracking_config(tracking or Tracking()),
    }
    for page in sco.pages:
        if isinstance(page, ExercisePart):
            config["exercise"] = {"id": page.id, "answers": [letters[step.answer] for step in page.steps]}
        if isinstance(page, FlashcardsPart):
            config["flashcards"] = {"id": page.id, "count": len(page.cards)}
    return config


def _json_for_script(data: dict) -> Markup:
    """JSON safe inside <script>: '<' is escaped so no text can close the element."""
    return Markup(json.dumps(data, separators=(",", ":")).replace("<", "\\u003c"))  # noqa: S704


def render_sco(
    sco: Sco,
    content: CourseContent,
    *,
    package_title: str,
    tracking: Tracking | None = None,
    scorm: str = "1.2",
    next_activity: bool = False,
    runtime: str = "scorm",
) -> str:
    """The SCO's page. `runtime` picks its LMS API layer: "scorm" (scorm-runtime.js, where `scorm`,
    "1.2" or "2004", is the API it looks for first) or "cmi5" (cmi5-runtime.js)."""
    template = environment().get_template("scorm/sco.html")
    page_sco = replace(sco, pages=tuple(for_the_page(part) for part in sco.pages))
    config = sco_config(sco, content, tracking, scorm=scorm, next_activity=next_activity)
    return template.render(
        sco=page_sco,
        course=content.course,
        package_title=package_title,
        objectives={o.id: o for o in content.objectives},
        activities=activity_choices(content),
        config_json=_json_for_script(config),
        show_nav=len(sco.pages) > 1,
        summary=chapter_summary(sco, content),
        runtime=runtime,
    )
