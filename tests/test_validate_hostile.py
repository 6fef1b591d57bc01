"""`scorm-builder validate` on hostile zips: bounded memory and time, findings instead of tracebacks.

Each test reproduces a failure reported in issue 8 (point 7): bombs read whole into memory and
reported OK, lying size headers, symlinks, duplicate names and DOCTYPE entities in the manifest.
Wall time and peak memory on full-size bombs are measured by benchmarks/validate_benchmark.py.
"""

from __future__ import annotations

import random
import stat
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from scorm_builder.cli import main
from scorm_builder.validate import Limits, Report, Severity, validate_package

from .scorm12_package import MANIFEST, package_files, write_zip

MIB = 1024 * 1024


def error_codes(report: Report) -> set[str]:
    return {f.code for f in report.findings if f.severity is Severity.error}


def peak_while(action):
    """Run ``action`` and return (its result, the peak of Python allocations in bytes meanwhile)."""
    tracemalloc.start()
    try:
        result = action()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def zip_with(tmp_path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]], name: str = "h.zip") -> Path:
    """A valid minimal package plus ``extra`` entries (ZipInfo for custom attributes)."""
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for entry, data in package_files().items():
            zf.writestr(entry, data)
        for info, data in extra:
            zf.writestr(info, data)
    return path


def zeros_entry(path: Path, name: str, size: int) -> None:
    """Append a deflated entry of ``size`` zero bytes without holding it in memory."""
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf, zf.open(name, "w", force_zip64=True) as out:
        chunk = bytes(MIB)
        for _ in range(size // MIB):
            out.write(chunk)


def patch_sizes(path: Path, name: str, file_size: int, crc: int) -> None:
    """Make the local and central headers of ``name`` claim another uncompressed size and CRC."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    struct.pack_into("<II", data, info.header_offset + 14, crc, info.compress_size)
    struct.pack_into("<I", data, info.header_offset + 22, file_size)
    encoded = name.encode()
    central = data.index(b"PK\x01\x02", info.header_offset)
    while data[central + 46 : central + 46 + len(encoded)] != encoded:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, central + 16, crc)
    struct.pack_into("<I", data, central + 24, file_size)
    path.write_bytes(bytes(data))


# --------------------------------------------------------------------------- size and ratio


def test_a_highly_compressed_entry_is_refused_without_inflating_it(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [])
    zeros_entry(path, "bomb.bin", 64 * MIB)
    assert path.stat().st_size < MIB
    report, peak = peak_while(lambda: validate_package(path))
    assert "zip-compression-ratio" in error_codes(report)
    assert not report.ok
    assert peak < 16 * MIB, f"peak {peak / MIB:.1f} MiB: the entry was read into memory"


def test_several_bombs_are_each_reported(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [])
    for index in range(3):
        zeros_entry(path, f"bomb{index}.bin", 16 * MIB)
    report = validate_package(path)
    found = [f for f in report.errors if f.code == "zip-compression-ratio"]
    assert {f.location for f in found} == {"bomb0.bin", "bomb1.bin", "bomb2.bin"}


def test_entry_and_total_size_limits_come_from_the_headers(tmp_path: Path) -> None:
    noise = random.Random(1).randbytes(3 * MIB)  # incompressible, so no ratio finding
    path = zip_with(tmp_path, [("a.bin", noise), ("b.bin", noise)])
    report = validate_package(path, limits=Limits(max_entry_size=2 * MIB))
    assert {f.location for f in report.errors if f.code == "zip-entry-too-large"} == {"a.bin", "b.bin"}
    report = validate_package(path, limits=Limits(max_total_size=4 * MIB))
    assert "zip-too-large" in error_codes(report)


def test_content_and_manifest_size_limits(tmp_path: Path) -> None:
    text = bytes(random.Random(2).choices(b"abcdefghij ", k=2 * MIB))  # no ratio finding
    files = [("big.html", text), ("a.js", text[:MIB]), ("b.js", text[:MIB])]
    path = zip_with(tmp_path, files)
    limits = Limits(max_scanned_size=MIB * 3 // 2, max_scanned_total=MIB * 3 // 2, max_manifest_size=1000)
    report = validate_package(path, limits=limits)
    assert {f.location for f in report.errors if f.code == "content-too-large"} == {"big.html", "b.js"}
    assert "manifest-too-large" in error_codes(report)


def test_too_many_entries_is_refused_before_reading(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [(f"f/{i}.txt", b"x") for i in range(60)])
    report = validate_package(path, limits=Limits(max_entries=50))
    assert error_codes(report) == {"zip-too-many-entries"}


def test_a_header_lying_about_the_size_does_not_help(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [])
    zeros_entry(path, "liar.bin", 32 * MIB)
    patch_sizes(path, "liar.bin", 1000, zlib.crc32(bytes(1000)))
    report, peak = peak_while(lambda: validate_package(path))
    assert "zip-size-mismatch" in error_codes(report)
    assert "zip-compression-ratio" not in error_codes(report)  # the header hid the ratio
    assert peak < 16 * MIB, f"peak {peak / MIB:.1f} MiB"


def test_a_lying_header_on_a_scanned_file_is_caught_too(tmp_path: Path) -> None:
    page = b"<p>x</p>" + b" " * (2 * MIB) + b'<img src="https://tracker.example/p.gif">'
    path = zip_with(tmp_path, [("page.html", page)])
    patch_sizes(path, "page.html", 8, zlib.crc32(page[:8]))
    report = validate_package(path)
    assert "zip-size-mismatch" in error_codes(report)


def test_a_corrupt_entry_is_a_finding(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [("data.txt", b"hello world " * 100)])
    patch_sizes(path, "data.txt", 1200, 12345)
    report = validate_package(path)
    assert "zip-entry-unreadable" in error_codes(report)


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    """Many central-directory records pointing at one local entry (a non-recursive zip bomb)."""
    path = zip_with(tmp_path, [("shared.txt", b"a" * 1000)])
    data = path.read_bytes()
    end = data.rindex(b"PK\x05\x06")
    count, cd_size, cd_offset = struct.unpack_from("<HII", data, end + 10)
    central = data[cd_offset : cd_offset + cd_size]
    record = central[central.rindex(b"PK\x01\x02") :]  # the last record is shared.txt's
    head = bytearray(record[:46])
    struct.pack_into("<H", head, 28, len(b"copy000.txt"))
    rest = record[46 + len(b"shared.txt") :]
    copies = b"".join(bytes(head) + b"copy%03d.txt" % i + rest for i in range(20))
    tail = bytearray(data[end:])
    struct.pack_into("<HHI", tail, 8, count + 20, count + 20, cd_size + len(copies))
    path.write_bytes(data[:cd_offset] + central + copies + bytes(tail))
    report = validate_package(path)
    assert "zip-overlapping-entries" in error_codes(report)


# --------------------------------------------------------------------------- entry kinds and names


def test_symlink_entry_is_an_error(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("evil.html")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    report = validate_package(zip_with(tmp_path, [(link, b"/etc/passwd")]))
    finding = next(f for f in report.findings if f.code == "zip-symlink")
    assert finding.severity is Severity.error and finding.location == "evil.html"
    assert "/etc/passwd" in finding.message


def test_duplicate_names_are_an_error(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = zip_with(tmp_path, [("index.html", b"<p>other</p>")])
    report = validate_package(path)
    finding = next(f for f in report.findings if f.code == "zip-duplicate-entry")
    assert finding.severity is Severity.error and not report.ok


def test_unsupported_compression_method_is_an_error(tmp_path: Path) -> None:
    info = zipfile.ZipInfo("notes.txt")
    info.compress_type = zipfile.ZIP_BZIP2
    report = validate_package(zip_with(tmp_path, [(info, b"hello")]))
    assert "zip-compression-method" in error_codes(report)


def test_encrypted_entry_is_an_error(tmp_path: Path) -> None:
    path = zip_with(tmp_path, [("secret.txt", b"hello")])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("secret.txt")
    central = data.rindex(b"PK\x01\x02")
    for offset in (info.header_offset + 6, central + 8):
        data[offset] |= 1
    path.write_bytes(bytes(data))
    assert "zip-encrypted" in error_codes(validate_package(path))


# --------------------------------------------------------------------------- manifest DOCTYPE


DOCTYPES = {
    "internal-entity": '<!DOCTYPE manifest [<!ENTITY v "1.2">]>',
    "billion-laughs": "<!DOCTYPE manifest ["
    + '<!ENTITY a0 "lol">'
    + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    + "]>",
    "external-entity": '<!DOCTYPE manifest [<!ENTITY v SYSTEM "file:///etc/hostname">]>',
    "external-dtd": '<!DOCTYPE manifest SYSTEM "http://tracker.example/x.dtd">',
}


@pytest.mark.parametrize("doctype", DOCTYPES.values(), ids=DOCTYPES.keys())
def test_manifest_doctype_is_an_error_not_a_traceback(tmp_path: Path, doctype: str) -> None:
    uses = "&a9;" if "a9" in doctype else ("&v;" if "ENTITY v" in doctype else "1.2")
    manifest = MANIFEST.replace('<?xml version="1.0" encoding="UTF-8"?>\n', "").replace(
        "<schemaversion>1.2<", f"<schemaversion>{uses}<"
    )
    manifest = f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n{manifest}'
    report = validate_package(write_zip(tmp_path, package_files(manifest)))
    finding = next(f for f in report.findings if f.code == "manifest-doctype")
    assert finding.severity is Severity.error and finding.location.startswith("imsmanifest.xml")
    assert "lol" not in "".join(f.message for f in report.findings)


# --------------------------------------------------------------------------- never a traceback


def test_default_limit_on_entries(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(40_001):
            zf.writestr(f"f/{i}", b"")
    report = validate_package(path)
    assert "zip-too-many-entries" in error_codes(report)


def test_damaged_zips_give_findings_not_tracebacks(tmp_path: Path) -> None:
    """Random byte flips in a valid package: every result is a report (and the CLI exits 0 or 1)."""
    good = write_zip(tmp_path, package_files(), "good.zip").read_bytes()
    rng = random.Random(8)
    for trial in range(150):
        data = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path = tmp_path / f"fuzz{trial}.zip"
        path.write_bytes(bytes(data))
        report = validate_package(path)
        assert isinstance(report, Report)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 1)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_reports_a_symlink_and_exits_1(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("evil.html")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    result = CliRunner().invoke(main, ["validate", str(zip_with(tmp_path, [(link, b"/etc/passwd")]))])
    assert result.exit_code == 1 and "zip-symlink" in result.output and "INVALID" in result.output
