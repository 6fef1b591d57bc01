"""Assemble packages in memory, check them, then write byte-identical zips atomically.

Reproducible: the same content gives the same bytes (sorted entries, fixed timestamps and
permissions, fixed compression level). Safe: every package is validated before anything is
written, and each zip appears under its final name only when complete.
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from courseware.model import CourseContent
from courseware.packaged import resource_dir
from scorm_builder import layout as layouts
from scorm_builder.layout import PackageLayout, Sco
from scorm_builder.manifest import build_manifest
from scorm_builder.render import TEMPLATES_DIR, render_sco
from scorm_builder.schema import SCHEMA_FILES
from scorm_builder.validate import format_report, validate_files

STATIC_DIR = resource_dir("scorm_builder", "static")
#: Files every SCO loads, shipped once per package under assets/.
COMMON_ASSETS = {
    "assets/skarp.css": TEMPLATES_DIR / "static" / "skarp.css",
    "assets/scorm-runtime.js": STATIC_DIR / "scorm-runtime.js",
    "assets/sco-app.js": STATIC_DIR / "sco-app.js",
}
SUSPEND_DATA_LIMIT = 4096  # SCORM 1.2 CMIString4096
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


class BuildError(Exception):
    """A package could not be built; nothing was written."""


@dataclass(frozen=True)
class BuiltPackage:
    layout: PackageLayout
    path: Path
    size: int


def max_suspend_data_length(sco: Sco) -> int:
    """Worst case of sco-app.js's format: 1|visited|quizzes|steps!|flipped (see its header)."""
    steps = sum(len(page.steps) for page in sco.pages if page.kind == "exercise")
    cards = sum(len(page.cards) for page in sco.pages if page.kind == "flashcards")
    return (
        1
        + 1
        + math.ceil(len(sco.pages) / 4)
        + 1
        + len(sco.quizzes)
        + 1
        + steps
        + 1
        + 1
        + math.ceil(cards / 4)
    )


def package_files(package: PackageLayout, content: CourseContent) -> dict[str, bytes]:
    """Every file of the package, by its path inside the zip."""
    for sco in package.scos:
        if max_suspend_data_length(sco) > SUSPEND_DATA_LIMIT:
            raise BuildError(
                f"SCO {sco.id!r} could need more than {SUSPEND_DATA_LIMIT} characters of suspend_data"
            )
    files: dict[str, bytes] = {path: source.read_bytes() for path, source in COMMON_ASSETS.items()}
    files.update({schema.name: schema.read_bytes() for schema in SCHEMA_FILES})
    for sco in package.scos:
        html = render_sco(sco, content, package_title=package.title)
        files[sco.filename] = html.encode("utf-8")
    sco_files = {sco.id: [sco.filename] for sco in package.scos}
    files["imsmanifest.xml"] = build_manifest(package, content.course, sco_files, sorted(COMMON_ASSETS))
    return files


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip: sorted names, fixed metadata, manifest first for quick inspection."""
    names = sorted(files, key=lambda name: (name != "imsmanifest.xml", name))
    with tempfile.SpooledTemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                info.create_system = 3  # unix, whatever the build machine
                archive.writestr(info, files[name], compresslevel=9)
        buffer.seek(0)
        return buffer.read()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def layouts_for(content: CourseContent, multi_sco: bool) -> list[PackageLayout]:
    chapter = layouts.multi_sco(content) if multi_sco else layouts.single_sco(content)
    return [chapter, layouts.knowledge_check(content)]


def build_packages(
    content: CourseContent,
    out_dir: Path,
    *,
    multi_sco: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> list[BuiltPackage]:
    """Build, validate, then write every package; raise BuildError before writing if any is invalid."""
    prepared: list[tuple[PackageLayout, bytes]] = []
    for package in layouts_for(content, multi_sco):
        progress(f"rendering {package.name} ({len(package.scos)} SCO{'s' if len(package.scos) > 1 else ''})")
        files = package_files(package, content)
        report = validate_files(files, name=f"{package.name}.zip")
        if not report.ok:
            raise BuildError(f"the built package failed validation:\n{format_report(report)}")
        prepared.append((package, zip_bytes(files)))
    built = []
    for package, data in prepared:
        path = out_dir / f"{package.name}.zip"
        _write_atomically(path, data)
        progress(f"wrote {path} ({len(data) / 1024:.1f} KiB)")
        built.append(BuiltPackage(package, path, len(data)))
    return built
