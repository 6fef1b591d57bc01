"""Template filters shared with the SCORM pages: content text is Markdown."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from markupsafe import Markup, escape

from courseware.markup import markdown_block, markdown_inline


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["md"] = markdown_block
    app.jinja_env.filters["mdi"] = markdown_inline
    app.jinja_env.filters["percent"] = lambda value: f"{round(100 * (value or 0))}%"
    app.jinja_env.filters["when"] = when


def when(at: datetime | None, style: str = "datetime") -> Markup:
    """A moment for people: <time datetime="...Z"> with the UTC text as the fallback; tool.js rewrites
    the text in the learner's locale and time zone (Intl.DateTimeFormat) and keeps UTC in its title.
    `style` is "datetime" or "date"."""
    if at is None:
        return Markup("")
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    text = at.strftime("%Y-%m-%d") if style == "date" else at.strftime("%Y-%m-%d %H:%M UTC")
    iso = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup('<time datetime="{}" data-when="{}">{}</time>').format(iso, escape(style), text)
