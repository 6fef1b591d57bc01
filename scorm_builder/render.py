"""Render SCO pages from the shared Jinja2 templates (`templates/`), the same look as the LTI tool."""

from __future__ import annotations

import json
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from courseware.markup import markdown_block, markdown_inline
from courseware.model import CourseContent, ExercisePart, FlashcardsPart, ObjectiveKind
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


def sco_config(sco: Sco, content: CourseContent) -> dict:
    """What the page script needs: page order, mastery score and the answers it grades in the browser."""
    letters = {objective_id: letter for letter, objective_id, _ in activity_choices(content)}
    config: dict = {
        "sco": sco.id,
        "pages": [page.id for page in sco.pages],
        "masteryScore": sco.mastery_score,
        "quizzes": [{"id": q.item.id, "answer": q.item.answer_letter, "page": q.id} for q in sco.quizzes],
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


def render_sco(sco: Sco, content: CourseContent, *, package_title: str) -> str:
    template = environment().get_template("scorm/sco.html")
    return template.render(
        sco=sco,
        course=content.course,
        package_title=package_title,
        objectives={o.id: o for o in content.objectives},
        activities=activity_choices(content),
        config_json=_json_for_script(sco_config(sco, content)),
        show_nav=len(sco.pages) > 1,
    )
