"""Content text is Markdown; this renders it to safe HTML (raw HTML in content is escaped, never run)."""

from __future__ import annotations

from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False})


def markdown_block(text: str) -> Markup:
    return Markup(_markdown.render(text))  # noqa: S704 - markdown-it escapes raw HTML (html=False)


def markdown_inline(text: str) -> Markup:
    return Markup(_markdown.renderInline(text))  # noqa: S704 - as above
