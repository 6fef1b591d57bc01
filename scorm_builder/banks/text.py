"""Item text as the HTML every bank format carries, rendered once so the formats cannot drift apart.

Content text is inline Markdown (`**bold**`); raw HTML in it is escaped by the renderer, never passed
on. The HTML is one line: GIFT ends a question at a blank line, and whitespace between tags means
nothing to the LMS anyway.
"""

from __future__ import annotations

from courseware.markup import markdown_inline
from courseware.model import Item


def inline(text: str) -> str:
    """Inline Markdown to HTML on one line (a soft line break is a space in HTML)."""
    return str(markdown_inline(text)).replace("\n", " ")


def stem_html(item: Item) -> str:
    """The question text: the stem, then a which-two item's numbered statements."""
    html = f"<p>{inline(item.stem)}</p>"
    if item.statements:
        html += "<ol>" + "".join(f"<li>{inline(s)}</li>" for s in item.statements) + "</ol>"
    return html


def option_html(item: Item, index: int) -> str:
    return inline(item.options[index].text)


def option_feedback_html(item: Item, index: int) -> str:
    """An option's rationale; an option without one points to the item's rationale."""
    rationale = item.options[index].rationale
    return inline(rationale) if rationale else ""


def general_feedback_html(item: Item) -> str:
    return f"<p>{inline(item.rationale)}</p>"
