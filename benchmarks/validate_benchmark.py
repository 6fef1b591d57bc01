"""Time and memory of `scorm-builder validate` on hostile zips (issue 8, point 7).

    python benchmarks/validate_benchmark.py [--skip-dense]

Builds every hostile zip in a temporary folder (bombs, a lying size header, overlapping entries, a
DOCTYPE entity bomb, symlinks, 40,000 entries, every external-URL vector, and the worst packages the
limits still accept), then validates each in a fresh Python process and reads its peak resident memory
(ru_maxrss) and the wall time of the validation itself. Target: each under 5 s and 200 MB. Prints a
table and writes it, with JSON, to benchmarks/results/ (gitignored). Not a test: figures depend on the
machine and its load (the load average is recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import stat
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scorm_builder.schema import SCHEMA_FILES  # noqa: E402
from tests.test_external_urls import VECTORS  # noqa: E402
from tests.test_validate_package import INDEX, MANIFEST  # noqa: E402

MIB = 1024 * 1024
TARGET_SECONDS = 5.0
TARGET_MB = 200.0

RUNNER = """
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from scorm_builder.validate import validate_package
started = time.perf_counter()
report = validate_package(Path(sys.argv[1]))
elapsed = time.perf_counter() - started
codes = sorted({f.code for f in report.errors})
print(json.dumps({"seconds": elapsed, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "ok": report.ok, "errors": len(report.errors), "codes": codes}))
"""


@dataclass
class Entry:
    """One zip entry as raw bytes, so headers can say what a hostile zip says."""

    name: str
    raw: bytes  # deflated (or stored) data as written
    crc: int
    size: int  # the uncompressed size the headers declare
    method: int = 8
    mode: int = 0o100644
    offset_of: str | None = None  # share another entry's local header (overlapping entries)


def deflate(data: bytes) -> Entry:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Entry("", packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


def deflate_stream(chunk: bytes, repeat: int, level: int = 9) -> Entry:
    """``chunk`` repeated ``repeat`` times, deflated without building the whole input."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)
    parts, crc = [], 0
    for _ in range(repeat):
        parts.append(packer.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(packer.flush())
    return Entry("", b"".join(parts), crc, len(chunk) * repeat)


def named(entry: Entry, name: str, **changes: object) -> Entry:
    values = {**entry.__dict__, "name": name, **changes}
    return Entry(**values)  # type: ignore[arg-type]


def write_zip(path: Path, entries: list[Entry]) -> None:
    """A plain (non-zip64) zip: local headers, data, central directory, end record."""
    offsets: dict[str, int] = {}
    central = bytearray()
    with path.open("wb") as out:
        for entry in entries:
            encoded = entry.name.encode()
            if entry.offset_of is None:
                offsets[entry.name] = out.tell()
                out.write(
                    struct.pack(
                        "<4sHHHHHIIIHH",
                        b"PK\x03\x04",
                        20,
                        0x800,
                        entry.method,
                        0,
                        0x21,
                        entry.crc,
                        len(entry.raw),
                        entry.size,
                        len(encoded),
                        0,
                    )
                )
                out.write(encoded)
                out.write(entry.raw)
            offset = offsets[entry.offset_of or entry.name]
            central += struct.pack(
                "<4sHHHHHHIIIHHHHHII",
                b"PK\x01\x02",
                0x031E,
                20,
                0x800,
                entry.method,
                0,
                0x21,
                entry.crc,
                len(entry.raw),
                entry.size,
                len(encoded),
                0,
                0,
                0,
                0,
                entry.mode << 16,
                offset,
            )
            central += encoded
        start = out.tell()
        out.write(central)
        count = len(entries)
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), start, 0))


def package(extra: list[Entry] = (), manifest: str = MANIFEST) -> list[Entry]:
    files = {"imsmanifest.xml": manifest.encode(), "index.html": INDEX}
    files.update({p.name: p.read_bytes() for p in SCHEMA_FILES})
    return [named(deflate(data), name) for name, data in files.items()] + list(extra)


def with_files(count: int, present: bool) -> list[Entry]:
    listed = "".join(f'<file href="f/{i}.txt"/>' for i in range(count))
    manifest = MANIFEST.replace('<file href="index.html"/>', '<file href="index.html"/>' + listed)
    tiny = deflate(b"x")
    folder = "f" if present else "g"
    return package([named(tiny, f"{folder}/{i}.txt") for i in range(count)], manifest)


def dense(kind: str, size: int) -> bytes:
    """Text full of the constructs each scanner must look at (the slowest input per byte), with
    random names so it compresses like real code (under the ratio limit)."""
    template = {
        "css": ".a{n}{{background:url(a{n}.png) image-set('b{n}.png' 1x);color:red}}\n",
        "js": 'e{n}.src="a{n}"+b;fetch(u{n},"x");x.setAttribute("src",y{n});location=z+"q{n}";\n',
        "html": '<img src="a{n}.png" srcset="b{n}.png 1x" style="background:url(c{n}.png)" '
        "onerror=\"f('x{n}')\">\n",
    }[kind]
    rng = random.Random(kind)
    lines, total = [], 0
    while total < size:
        line = template.format(n=rng.getrandbits(40)).encode()
        lines.append(line)
        total += len(line)
    return b"".join(lines)[:size]


def cases(skip_dense: bool) -> dict[str, list[Entry]]:
    gib_zeros = deflate_stream(bytes(MIB), 1024)
    noisy = bytes(random.Random(7).randbytes(12 * 1024)) + bytes(MIB - 12 * 1024)
    accepted = deflate_stream(noisy, 500, level=1)  # 500 MiB at ~80:1, under the 100:1 limit
    laughs = "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE manifest [<!ENTITY a0 "lol">{laughs}]>\n'
    bomb_manifest = MANIFEST.replace("?>\n", "?>\n" + doctype, 1).replace(">1.2<", ">&a9;<")
    link = named(deflate(b"/etc/passwd"), "", mode=stat.S_IFLNK | 0o777)
    shared = named(deflate(bytes(MIB)), "shared.bin")
    built = {
        "bomb: 1 GiB entry in a 1 MB zip": package([named(gib_zeros, "bomb.bin")]),
        "bomb: 400 MiB entry (under the size limit)": package(
            [named(deflate_stream(bytes(MIB), 400), "bomb.bin")]
        ),
        "bombs: 8 x 1 GiB entries": package([named(gib_zeros, f"bomb{i}.bin") for i in range(8)]),
        "lying header: says 1000 B, inflates to 1 GiB": package(
            [named(gib_zeros, "liar.bin", size=1000, crc=zlib.crc32(bytes(1000)))]
        ),
        "overlapping: 10,000 records on 1 entry": package(
            [shared, *(named(shared, f"copy{i}.bin", offset_of="shared.bin") for i in range(10_000))]
        ),
        "manifest DOCTYPE billion laughs": package(manifest=bomb_manifest),
        "1,000 symlinks": package([named(link, f"link{i}.html") for i in range(1000)]),
        "40,000 entries": package([named(deflate(b""), f"f/{i}") for i in range(40_000)]),
        "5,000 listed, missing": with_files(5_000, present=False),
        "19,990 listed, missing": with_files(19_990, present=False),
        "19,990 listed, present": with_files(19_990, present=True),
        "22 external-URL vectors": package(
            [named(deflate(data), f"v{i}/{name}") for i, (name, data) in enumerate(VECTORS.values())]
        ),
        "accepted: 2 x 500 MiB at 80:1": package([named(accepted, "a.bin"), named(accepted, "b.bin")]),
    }
    if not skip_dense:
        for kind in ("html", "css", "js"):
            built[f"dense {kind}: 1 file of 4 MiB"] = package(
                [named(deflate(dense(kind, 4 * MIB)), f"x.{kind}")]
            )
        js = deflate(dense("js", 4 * MIB))
        built["dense js: 4 x 4 MiB (scan budget)"] = package([named(js, f"{i}.js") for i in range(4)])
    return built


def measure(path: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, str(path), str(ROOT)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        return {
            "seconds": float("nan"),
            "peak_kib": 0,
            "ok": None,
            "errors": 0,
            "codes": ["CRASH"],
            "stderr": result.stderr[-2000:],
        }
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-dense", action="store_true", help="skip the slow dense-text cases")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        print("building hostile zips...", file=sys.stderr)
        for index, (name, entries) in enumerate(cases(args.skip_dense).items()):
            path = Path(tmp) / f"case{index}.zip"
            write_zip(path, entries)
            result = measure(path)
            result.update(case=name, zip_mb=path.stat().st_size / 1e6, entries=len(entries))
            rows.append(result)
            print(f"  {name}: {result['seconds']:.2f} s", file=sys.stderr)
    header = f"{'case':<46} {'zip MB':>7} {'entries':>8} {'time s':>7} {'peak MB':>8}  verdict  errors"
    lines = [header, "-" * len(header)]
    for row in rows:
        peak_mb = row["peak_kib"] / 1024
        met = row["seconds"] <= TARGET_SECONDS and peak_mb <= TARGET_MB
        verdict = "OK" if row["ok"] else "INVALID"
        lines.append(
            f"{row['case']:<46} {row['zip_mb']:>7.1f} {row['entries']:>8} {row['seconds']:>7.2f} "
            f"{peak_mb:>8.0f}  {verdict:<7}{'' if met else ' OVER'}  {', '.join(row['codes'][:4])}"
        )
    load = os.getloadavg()
    lines.append(
        f"\ntarget: under {TARGET_SECONDS:.0f} s and {TARGET_MB:.0f} MB each; "
        f"python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (out / f"validate-{stamp}.txt").write_text(table + "\n", encoding="utf-8")
    (out / f"validate-{stamp}.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    print(f"\nwritten to {out}/validate-{stamp}.txt", file=sys.stderr)


if __name__ == "__main__":
    main()
