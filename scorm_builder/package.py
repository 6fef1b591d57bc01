"""Assemble packages in memory, check them, then write byte-identical zips atomically (`output`).

Reproducible: the same content gives the same bytes (sorted entries, fixed timestamps and
permissions, fixed compression level). Safe: every package is validated before anything is
written, and each zip appears under its final name only when complete.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from courseware.model import Course, CourseContent
from courseware.packaged import resource_dir
from scorm_builder import layout as layouts
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.manifest import build_manifest
from scorm_builder.output import Written, write_reported, zip_bytes
from scorm_builder.render import TEMPLATES_DIR, render_sco
from scorm_builder.schema import SCHEMA_FILES
from scorm_builder.validate import format_report, validate_files

STATIC_DIR = resource_dir("scorm_builder", "static")
#: Files every SCO loads, shipped once per package under assets/.
COMMON_ASSETS = {
    "assets/skarp.css": TEMPLATES_DIR / "static" / "skarp.css",
    "assets/scorm-adapters.js": STATIC_DIR / "scorm-adapters.js",  # before scorm-runtime.js, which uses it
    "assets/scorm-runtime.js": STATIC_DIR / "scorm-runtime.js",
    "assets/suspend-data.js": STATIC_DIR / "suspend-data.js",
    "assets/pass-rule.js": STATIC_DIR / "pass-rule.js",
    "assets/sco-activities.js": STATIC_DIR / "sco-activities.js",
    "assets/sco-quizzes.js": STATIC_DIR / "sco-quizzes.js",
    "assets/sco-app.js": STATIC_DIR / "sco-app.js",
}
SUSPEND_DATA_LIMIT = 4096  # SCORM 1.2 CMIString4096
COUNTER_DIGITS = 3  # suspend-data.js caps its counters at "zzz" (base 36)


class BuildError(Exception):
    """A package could not be built; nothing was written."""


ManifestBuilder = Callable[[PackageLayout, Course, dict[str, list[str]], Iterable[str]], bytes]


@dataclass(frozen=True)
class Standard:
    """What differs between SCORM 1.2 and 2004 packages of the same layouts; the rest is shared."""

    version: str  # "1.2" or "2004": the runtime looks for this API first
    suspend_data_limit: int  # characters of cmi.suspend_data the LMS must keep
    schema_files: tuple[Path, ...]  # carried at the zip root, as xsi:schemaLocation names them
    build_manifest: ManifestBuilder
    name_suffix: str = ""  # zip stem and manifest identifier suffix, so both versions share dist/


SCORM12 = Standard("1.2", SUSPEND_DATA_LIMIT, SCHEMA_FILES, build_manifest)


BuiltPackage = Written[PackageLayout]


def max_suspend_data_length(sco: Sco) -> int:
    """Worst case of suspend-data.js's version 2 (see its header), uncompressed.

    The codec stores the run-length compressed form only when it is shorter, so the plain form
    bounds every value the SCO can write, whatever the learner does.
    """
    steps = sum(len(page.steps) for page in sco.pages if page.kind == "exercise")
    cards = sum(len(page.cards) for page in sco.pages if page.kind == "flashcards")
    page_mask = math.ceil(len(sco.pages) / 4)
    fields = [
        page_mask,  # visited
        page_mask,  # seen
        len(sco.quizzes),  # one answer letter per quiz
        steps + 1,  # one letter per exercise step, then "!"
        math.ceil(cards / 4),  # flipped
        COUNTER_DIGITS,  # knowledge check tries
        COUNTER_DIGITS,  # exercise tries
        COUNTER_DIGITS,  # interactions written
    ]
    return len("2|") + sum(fields) + len(fields) - 1


def package_files(
    package: PackageLayout, content: CourseContent, standard: Standard = SCORM12
) -> dict[str, bytes]:
    """Every file of the package, by its path inside the zip."""
    limit = standard.suspend_data_limit
    for sco in package.scos:
        if max_suspend_data_length(sco) > limit:
            raise BuildError(f"SCO {sco.id!r} could need more than {limit} characters of suspend_data")
    files: dict[str, bytes] = {path: source.read_bytes() for path, source in COMMON_ASSETS.items()}
    files.update({schema.name: schema.read_bytes() for schema in standard.schema_files})
    for number, sco in enumerate(package.scos, start=1):
        html = render_sco(
            sco,
            content,
            package_title=package.title,
            tracking=package.tracking,
            scorm=standard.version,
            next_activity=number < len(package.scos),
        )
        files[sco.filename] = html.encode("utf-8")
    sco_files = {sco.id: [sco.filename] for sco in package.scos}
    files["imsmanifest.xml"] = standard.build_manifest(
        package, content.course, sco_files, sorted(COMMON_ASSETS)
    )
    return files


def layouts_for(content: CourseContent, multi_sco: bool, standard: Standard = SCORM12) -> list[PackageLayout]:
    chapter = layouts.multi_sco(content) if multi_sco else layouts.single_sco(content)
    found = [chapter, layouts.knowledge_check(content)]
    if not standard.name_suffix:
        return found
    return [
        replace(
            layout,
            name=f"{layout.name}-{standard.name_suffix}",
            identifier=f"{layout.identifier}.{standard.name_suffix}",
        )
        for layout in found
    ]


def build_packages(
    content: CourseContent,
    out_dir: Path,
    *,
    multi_sco: bool = False,
    progress: Callable[[str], None] = lambda message: None,
    standard: Standard = SCORM12,
) -> list[BuiltPackage]:
    """Build, validate, then write every package; raise BuildError before writing if any is invalid."""
    prepared: list[tuple[PackageLayout, bytes]] = []
    for package in layouts_for(content, multi_sco, standard):
        progress(f"rendering {package.name} ({len(package.scos)} SCO{'s' if len(package.scos) > 1 else ''})")
        files = package_files(package, content, standard)
        report = validate_files(files, name=f"{package.name}.zip")
        if not report.ok:
            raise BuildError(f"the built package failed validation:\n{format_report(report)}")
        prepared.append((package, zip_bytes(files)))
    built = []
    for package, data in prepared:
        path = out_dir / f"{package.name}.zip"
        built.append(BuiltPackage(package, path, write_reported(path, data, progress)))
    return built
