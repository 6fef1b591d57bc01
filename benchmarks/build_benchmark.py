"""Time `scorm-builder build` for the chapter, both layouts, and report package sizes.

    python benchmarks/build_benchmark.py [--runs N]

Two timings per layout: the whole command as a user runs it (a fresh interpreter: imports,
content loading, rendering, validation, zipping, writing), and the build alone inside one
process (what a warm service would pay). Targets: under 1 s per build, each zip under 500 KB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courseware import load_content  # noqa: E402
from scorm_builder.package import build_packages  # noqa: E402

TARGET_SECONDS = 1.0
TARGET_BYTES = 500 * 1024


def time_cli(multi_sco: bool, out: Path) -> float:
    command = [sys.executable, "-m", "scorm_builder", "build", str(ROOT / "content"), "-o", str(out), "-q"]
    if multi_sco:
        command.append("--multi-sco")
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def time_in_process(multi_sco: bool, out: Path) -> tuple[float, list]:
    started = time.perf_counter()
    built = build_packages(load_content(ROOT / "content"), out, multi_sco=multi_sco)
    return time.perf_counter() - started, built


def summary(samples: list[float]) -> dict[str, float]:
    return {"median_s": statistics.median(samples), "min_s": min(samples), "max_s": max(samples)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    results: dict = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": args.runs,
        "layouts": {},
    }
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        for name, multi in (("single-sco", False), ("multi-sco", True)):
            out = Path(folder) / name
            time_in_process(multi, out)  # warm the imports and template cache
            cli = [time_cli(multi, out) for _ in range(args.runs)]
            warm = [time_in_process(multi, out)[0] for _ in range(args.runs)]
            sizes = {p.path.name: p.size for p in time_in_process(multi, out)[1]}
            results["layouts"][name] = {"cli": summary(cli), "in_process": summary(warm), "zip_bytes": sizes}
            ok = ok and statistics.median(cli) < TARGET_SECONDS and max(sizes.values()) < TARGET_BYTES
    print(f"machine: {results['machine']}; {args.runs} runs each")
    print(f"{'layout':<11} {'command (median/max)':>22} {'in-process (median)':>20}  zips")
    for name, row in results["layouts"].items():
        cli, warm = row["cli"], row["in_process"]
        zips = ", ".join(f"{file} {size / 1024:.1f} KiB" for file, size in row["zip_bytes"].items())
        command = f"{cli['median_s']:.3f} s / {cli['max_s']:.3f} s"
        print(f"{name:<11} {command:>22} {warm['median_s']:>18.3f} s  {zips}")
    print(
        f"targets: build < {TARGET_SECONDS} s, zip < {TARGET_BYTES // 1024} KB: {'met' if ok else 'NOT met'}"
    )
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "build.json").write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
