"""Template filters shared with the SCORM pages: content text is Markdown."""

from __future__ import annotations

from flask import Flask

from courseware.markup import markdown_block, markdown_inline


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["md"] = markdown_block
    app.jinja_env.filters["mdi"] = markdown_inline
    app.jinja_env.filters["percent"] = lambda value: f"{round(100 * (value or 0))}%"
