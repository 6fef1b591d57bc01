"""Reading a zip from anyone in bounded memory and time, trusting nothing its headers say.

Before any entry is inflated the central directory is checked: how many entries, each entry's
declared size and compression ratio, the total, duplicate names, symlinks and other special files,
encryption, compression methods an LMS cannot unpack, and entries that overlap (one compressed
stream listed many times, a non-recursive zip bomb). Entries are then inflated here (not by
``zipfile``) in 64 KiB steps, never past the size their header declares: a header that lies about the
size gets a finding after at most one byte too many, and only the entries the checks need (the
manifest, and HTML/CSS/JS/SVG within ``max_scanned_size``) are kept in memory, one at a time.
"""

from __future__ import annotations

import itertools
import stat
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from scorm_builder.validation.findings import Finding, error, warning

MIB = 1024 * 1024
_CHUNK = 64 * 1024
_LOCAL_HEADER = struct.Struct("<4s22xHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_MAX_RECORD = 1024
"""Bytes per central-directory record allowed on average (46 fixed + name + extra + comment)."""
_SHOWN = 5


@dataclass(frozen=True)
class Limits:
    """What a package may hold; generous for real courses (videos included), refusing bombs."""

    max_entries: int = 20_000
    max_entry_size: int = 512 * MIB
    max_total_size: int = 1024 * MIB
    max_ratio: int = 100
    """Uncompressed / compressed, for entries over ``ratio_floor`` (text is ~3-10, video ~1)."""
    ratio_floor: int = MIB
    max_scanned_size: int = 4 * MIB
    """HTML, CSS, JS and SVG files are read whole to look for external URLs, up to this size..."""
    max_scanned_total: int = 16 * MIB
    """...and up to this much in all (the scanners are Python: about 1 MiB/s on dense input)."""
    max_manifest_size: int = 4 * MIB


class EntryError(Exception):
    """An entry's data is not what its header says; the message says how."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def central_directory_findings(fp: BinaryIO, limits: Limits) -> list[Finding]:
    """Refuse an oversized central directory before ``zipfile`` reads it all into memory."""
    # zipfile's own end-of-central-directory reader (zip64 aware); private but stable since 2.6.
    end = zipfile._EndRecData(fp)  # type: ignore[attr-defined]
    if end is None:
        return []  # zipfile reports the damage itself
    entries, size = end[4], end[5]
    if entries > limits.max_entries or size > limits.max_entries * _MAX_RECORD:
        return [_too_many(max(entries, size // _MAX_RECORD), limits)]
    return []


def _too_many(count: int, limits: Limits) -> Finding:
    return error(
        "zip-too-many-entries",
        f"the zip lists about {count} entries; the limit is {limits.max_entries} (no course needs more, "
        "and each costs LMSs time and storage)",
    )


def header_findings(infos: list[zipfile.ZipInfo], limits: Limits) -> tuple[list[Finding], set[str]]:
    """Findings from the central directory alone, and the names of entries that must not be read.

    An empty set with a ``zip-too-many-entries`` or ``zip-too-large`` finding still means: read
    nothing; the caller checks ``refuses_archive``.
    """
    if len(infos) > limits.max_entries:
        return [_too_many(len(infos), limits)], set()
    findings: list[Finding] = []
    skip: set[str] = set()
    for name, count in Counter(i.filename for i in infos).items():
        if count > 1:
            findings.append(
                error(
                    "zip-duplicate-entry",
                    f"{name} is stored {count} times; unzip tools keep different copies, so what the LMS "
                    "serves is not what was checked",
                    name,
                )
            )
            skip.add(name)
    for info in infos:
        problem = _entry_problem(info, limits)
        if problem is not None:
            findings.append(problem)
            skip.add(info.filename)
        if info.flag_bits & 0x800 == 0 and not info.filename.isascii():
            findings.append(
                warning(
                    "zip-filename-encoding",
                    f"{info.filename} has non-ASCII characters but the zip does not mark names as UTF-8; "
                    "LMSs may unpack it under a different name, breaking hrefs",
                    info.filename,
                )
            )
    findings += _overlap_findings(infos, skip)
    total = sum(i.file_size for i in infos if i.filename not in skip)
    if total > limits.max_total_size:
        findings.append(
            error(
                "zip-too-large",
                f"the entries add up to {total / MIB:.0f} MiB uncompressed; the limit is "
                f"{limits.max_total_size / MIB:.0f} MiB",
            )
        )
    return findings, skip


def refuses_archive(findings: list[Finding]) -> bool:
    return any(f.code in ("zip-too-many-entries", "zip-too-large") for f in findings)


def _entry_problem(info: zipfile.ZipInfo, limits: Limits) -> Finding | None:
    name, mode = info.filename, info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return None  # reported with its target by symlink_finding
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        return error("zip-special-file", f"{name} is a device, pipe or socket entry, not a file", name)
    if info.flag_bits & 0x1:
        return error("zip-encrypted", f"{name} is encrypted; LMSs cannot unpack it", name)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return error(
            "zip-compression-method",
            f"{name} uses compression method {info.compress_type}; use deflate (or store), the only "
            "methods every LMS unpacks",
            name,
        )
    if info.file_size > limits.max_entry_size:
        return error(
            "zip-entry-too-large",
            f"{name} is {info.file_size / MIB:.0f} MiB uncompressed; the limit is "
            f"{limits.max_entry_size / MIB:.0f} MiB per file",
            name,
        )
    if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return error(
            "zip-compression-ratio",
            f"{name} inflates from {info.compress_size} bytes to {info.file_size / MIB:.0f} MiB "
            f"(over {limits.max_ratio}:1), the mark of a zip bomb; it was not unpacked",
            name,
        )
    return None


def _overlap_findings(infos: list[zipfile.ZipInfo], skip: set[str]) -> list[Finding]:
    ordered = sorted(infos, key=lambda i: i.header_offset)
    overlapping = []
    for one, two in itertools.pairwise(ordered):
        if one.header_offset + 30 + len(one.filename) + one.compress_size > two.header_offset:
            overlapping.append(two.filename)
            skip.update((one.filename, two.filename))
    if not overlapping:
        return []
    shown = ", ".join(overlapping[:_SHOWN])
    return [
        error(
            "zip-overlapping-entries",
            f"{len(overlapping)} entries share their data with another entry ({shown}); "
            "a zip bomb trick, and no zip tool writes this",
        )
    ]


def symlink_finding(fp: BinaryIO, info: zipfile.ZipInfo) -> Finding | None:
    """A symbolic link: unpacked, it can point anywhere on the LMS server."""
    if not stat.S_ISLNK(info.external_attr >> 16):
        return None
    target = ""
    if info.file_size <= 1024 and info.compress_size <= 4096:
        try:
            target = f" to {read_entry(fp, info, keep=True).decode('utf-8', 'replace')!r}"
        except (EntryError, OSError, zlib.error):
            target = ""
    return error(
        "zip-symlink",
        f"{info.filename} is a symbolic link{target}; unpacked on the LMS it can expose or overwrite "
        "files outside the package",
        info.filename,
    )


def _raw_chunks(fp: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != _LOCAL_SIGNATURE:
        raise EntryError("zip-entry-unreadable", "its local header is missing or damaged")
    _, name_length, extra_length = _LOCAL_HEADER.unpack(header)
    local_name = fp.read(name_length)
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    if local_name.decode(encoding, "replace") != info.orig_filename:
        raise EntryError(
            "zip-header-mismatch",
            f"its local header names it {local_name.decode(encoding, 'replace')!r}; unzip tools "
            "disagree on what this file is",
        )
    fp.seek(extra_length, 1)
    left = info.compress_size
    while left > 0:
        data = fp.read(min(_CHUNK, left))
        if not data:
            raise EntryError("zip-entry-unreadable", "its data is cut short (truncated zip)")
        left -= len(data)
        yield data


def read_entry(fp: BinaryIO, info: zipfile.ZipInfo, keep: bool) -> bytes:
    """Inflate one entry, never past its declared size; its bytes if ``keep``, else b""."""
    parts: list[bytes] = []
    size = crc = 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None

    def take(out: bytes) -> None:
        nonlocal size, crc
        size += len(out)
        if size > info.file_size:
            raise EntryError(
                "zip-size-mismatch",
                f"it inflates to more than the {info.file_size} bytes its header declares (a zip bomb "
                "trick: what unzip tools unpack differs); unpacking stopped there",
            )
        crc = zlib.crc32(out, crc)
        if keep:
            parts.append(out)

    for chunk in _raw_chunks(fp, info):
        if inflater is None:
            take(chunk)
            continue
        while chunk and not inflater.eof:
            take(inflater.decompress(chunk, _CHUNK))
            chunk = inflater.unconsumed_tail
        if inflater.eof:
            break
    if inflater is not None:
        while not inflater.eof and (out := inflater.decompress(b"", _CHUNK)):
            take(out)
        if not inflater.eof:
            raise EntryError("zip-entry-unreadable", "its compressed data ends too early")
    if size != info.file_size:
        raise EntryError(
            "zip-size-mismatch",
            f"it holds {size} bytes but its header declares {info.file_size}; unzip tools disagree on it",
        )
    if crc != info.CRC:
        raise EntryError("zip-entry-unreadable", "its data does not match its CRC-32 (damaged zip)")
    return b"".join(parts)


def read_entries(
    fp: BinaryIO, infos: list[zipfile.ZipInfo], skip: set[str], keep: Callable[[zipfile.ZipInfo], bool]
) -> Iterator[tuple[str, bytes | None] | Finding]:
    """Inflate every readable entry in zip order; yield (name, bytes) for kept ones, and findings."""
    for info in infos:
        if info.filename in skip or info.is_dir():
            continue
        link = symlink_finding(fp, info)
        if link is not None:
            yield link
            continue
        wanted = keep(info)
        try:
            data = read_entry(fp, info, keep=wanted)
        except EntryError as exc:
            yield error(exc.code, f"{info.filename}: {exc}", info.filename)
            continue
        except (zlib.error, OSError, ValueError) as exc:
            yield error("zip-entry-unreadable", f"cannot read {info.filename}: {exc}", info.filename)
            continue
        if wanted:
            yield info.filename, data
