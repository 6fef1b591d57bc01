"""SCORM 2004 4th Edition: the same packages as scorm12 (chapter, one SCO or one per part, and the
knowledge check) with simple sequencing, separate completion and success, and learner objectives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from courseware.model import CourseContent
from scorm_builder.formats import Format, register
from scorm_builder.manifest2004 import build_manifest
from scorm_builder.package import BuiltPackage, Standard, build_packages
from scorm_builder.schema2004 import SCHEMA_FILES

SUSPEND_DATA_LIMIT = 64000  # SCORM 2004 4th Edition: characterstring (SPM 64000)
SCORM2004 = Standard("2004", SUSPEND_DATA_LIMIT, SCHEMA_FILES, build_manifest, name_suffix="scorm2004")


def build(
    content: CourseContent,
    out_dir: Path,
    *,
    multi_sco: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> list[BuiltPackage]:
    return build_packages(content, out_dir, multi_sco=multi_sco, progress=progress, standard=SCORM2004)


FORMAT = register(
    Format(
        name="scorm2004",
        summary="SCORM 2004 4th Edition zips (completion and success apart, sequencing, objectives)",
        build=build,
    )
)
