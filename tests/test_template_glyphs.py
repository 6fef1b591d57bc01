"""Every page Skarp shows (the LTI tool, the SCORM/cmi5 packages, the SCORM player and the sandbox LMS)
draws its icons with the shipped SVG set (templates/partials/icons.html): no emoji, arrows, bullets or
other symbol characters, which render differently (or not at all) by system and font, and which screen
readers read out by their Unicode names. The set is inline SVG, so it also works inside a SCORM package,
which may load nothing from outside. The scripts that write text into those pages are held to the same
rule; the vendored cmi5 client is not ours to edit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import ROOT

# Arrows, technical symbols (the stopwatch), boxes and shapes, bullets, dingbats, emoji.
GLYPHS = re.compile(r"[\u2022\u2190-\u21ff\u2300-\u23ff\u25a0-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff]")
VENDORED = {ROOT / "scorm_builder" / "static" / "cmi5.umd.js"}

#: Each area: the files a learner, an instructor or an LMS admin sees, or that write text into them.
AREAS = {
    "tool templates": ["templates/tool/*.html", "templates/base.html"],
    "SCORM templates": ["templates/scorm/*.html", "templates/partials/*.html"],
    "SCORM player pages": ["scorm_builder/player/*.html"],
    "sandbox LMS templates": ["sandbox_lms/templates/*.html"],
    "page scripts": ["scorm_builder/static/*.js", "templates/static/*.js", "sandbox_lms/static/*.js"],
}


def files(patterns: list[str]) -> list[Path]:
    return [path for pattern in patterns for path in sorted(ROOT.glob(pattern)) if path not in VENDORED]


def glyphs_in(name: str, text: str) -> list[str]:
    """Each glyph as `file:line: character (code point)`, so a failure says where to look."""
    return [
        f"{name}:{number}: {match.group()!r} (U+{ord(match.group()):04X})"
        for number, line in enumerate(text.splitlines(), start=1)
        for match in GLYPHS.finditer(line)
    ]


@pytest.mark.parametrize("area", AREAS)
def test_pages_use_the_icon_set_not_glyphs(area):
    paths = files(AREAS[area])
    assert paths, f"{area}: no files match {AREAS[area]}"
    found = [glyphs_in(str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")) for path in paths]
    assert [glyph for glyphs in found for glyph in glyphs] == []


def test_the_check_finds_a_glyph():
    """The pattern is what the other tests rely on: it must catch the glyphs the pages used to carry."""
    page = "<button>Next \u2192</button>\n<li>\u2713 done \u2717 \u2022 \u23f1 \U0001f4c8</li>\n"
    assert glyphs_in("page.html", page) == [
        "page.html:1: '\u2192' (U+2192)",
        "page.html:2: '\u2713' (U+2713)",
        "page.html:2: '\u2717' (U+2717)",
        "page.html:2: '\u2022' (U+2022)",
        "page.html:2: '\u23f1' (U+23F1)",
        "page.html:2: '\U0001f4c8' (U+1F4C8)",
    ]


def test_the_vendored_client_is_the_only_file_left_out():
    assert all(path.is_file() for path in VENDORED)
    assert ROOT / "scorm_builder" / "static" / "cmi5-runtime.js" in files(AREAS["page scripts"])


def test_every_icon_a_template_asks_for_is_in_the_set():
    icons = (ROOT / "templates" / "partials" / "icons.html").read_text(encoding="utf-8")
    defined = set(re.findall(r'^  "([a-z-]+)":', icons, flags=re.M))
    templates = [*(ROOT / "templates").rglob("*.html"), *files(AREAS["sandbox LMS templates"])]
    asked: set[str] = set()
    for path in templates:
        text = path.read_text(encoding="utf-8")
        # The name argument: a literal, or literals chosen by a condition ("check" if right else "x").
        names = [call.split(", label=")[0] for call in re.findall(r"(?<!macro )\bicon\((.*?)\)", text)]
        # A name the test cannot read (a variable alone) could name no icon at all.
        unreadable = [name for name in names if not re.search(r'"[a-z-]+"', name)]
        assert unreadable == [], f"{path.relative_to(ROOT)}: icon() names no literal icon: {unreadable}"
        asked |= {literal for name in names for literal in re.findall(r'"([a-z-]+)"', name)}
    assert {"arrow-left", "arrow-right", "check", "x"} <= asked
    assert asked <= defined, sorted(asked - defined)
