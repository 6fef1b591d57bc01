"""Where the installed data lives: every file Skarp reads at run time ships inside its packages.

The course content is the package `skarp_content` (the `content/` folder), the shared templates and
static files are `skarp_templates` (`templates/`), and the builder's schemas and the tool's migrations
sit in their own packages. Looking them up through importlib.resources, not as a path relative to a
checkout, is what lets `scorm-builder` and the tool run from an installed wheel.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

CONTENT_PACKAGE = "skarp_content"
TEMPLATES_PACKAGE = "skarp_templates"


def resource_dir(package: str, *parts: str) -> Path:
    """A folder of package data as a real path: Jinja2, Flask and Alembic read folders, not streams.

    Skarp is installed unpacked (a wheel or an editable install), where importlib.resources gives
    plain paths; a zipped installation is refused by name instead of failing later on a missing file.
    """
    root = files(package)
    if not isinstance(root, Path):
        raise RuntimeError(f"{package} is not installed as files on disk ({root!r}): install Skarp unzipped")
    folder = root.joinpath(*parts)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: the installed package {package} lacks this folder")
    return folder


def content_dir() -> Path:
    """The course content shipped with Skarp: the default of `scorm-builder build` and of the tool."""
    return resource_dir(CONTENT_PACKAGE)


def templates_dir() -> Path:
    """The Jinja2 templates (and `static/`) the SCORM pages and the LTI tool share."""
    return resource_dir(TEMPLATES_PACKAGE)
