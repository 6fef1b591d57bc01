"""Writing what a build made: reproducible zips, written atomically.

Every export (SCORM, cmi5, Common Cartridge, the question banks) writes through here, so every
output file has the same guarantees:

* reproducible: the same files give the same zip bytes (sorted entries, manifest first, fixed
  timestamps, permissions and compression level), whatever the build machine;
* atomic: the bytes go to a temporary file beside the target, which is renamed onto the final name
  only when complete, so a failed or interrupted build never leaves a half-written file (an LMS or
  a watching script sees the old file or the new one, nothing in between).
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)

Layout = TypeVar("Layout")


@dataclass(frozen=True)
class Written(Generic[Layout]):
    """A zip an export wrote: the layout it was built from, where it is and its size in bytes."""

    layout: Layout
    path: Path
    size: int


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


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (mode 0644, parent folders created) all at once or not at all.

    Raises OSError if the folder cannot be written; the temporary file is then removed.
    """
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


def write_reported(path: Path, data: bytes, progress: Callable[[str], None]) -> int:
    """`write_atomically`, then tell ``progress`` what was written; returns the size in bytes."""
    write_atomically(path, data)
    progress(f"wrote {path} ({len(data) / 1024:.1f} KiB)")
    return len(data)
