"""The tool's pages draw their icons with the shipped SVG set (templates/partials/icons.html): no emoji,
arrows, bullets or other symbol characters, which render differently (or not at all) by system and
font, and which screen readers read out by their Unicode names."""

from __future__ import annotations

import re

from .conftest import ROOT

# Arrows, technical symbols (the stopwatch), boxes and shapes, bullets, dingbats, emoji.
GLYPHS = re.compile(r"[\u2022\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")
TOOL_TEMPLATES = [*sorted((ROOT / "templates" / "tool").glob("*.html")), ROOT / "templates" / "base.html"]


def test_tool_templates_use_the_icon_set_not_glyphs():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {match.group()!r} (U+{ord(match.group()):04X})"
        for path in TOOL_TEMPLATES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in GLYPHS.finditer(line)
    ]
    assert TOOL_TEMPLATES and found == []


def test_every_icon_a_template_asks_for_is_in_the_set():
    icons = (ROOT / "templates" / "partials" / "icons.html").read_text(encoding="utf-8")
    defined = set(re.findall(r'^  "([a-z-]+)":', icons, flags=re.M))
    asked = {
        name
        for path in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r'icon\("([a-z-]+)"', path.read_text(encoding="utf-8"))
    }
    assert asked and asked <= defined, sorted(asked - defined)
