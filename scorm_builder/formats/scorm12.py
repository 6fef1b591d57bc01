"""SCORM 1.2: the chapter (one SCO, or one per part) and the knowledge check, for Moodle and any SCORM LMS."""

from __future__ import annotations

from scorm_builder.formats import Format, register
from scorm_builder.package import build_packages

FORMAT = register(
    Format(
        name="scorm12",
        summary="SCORM 1.2 zips (the default; what Moodle plays best)",
        build=build_packages,
    )
)
