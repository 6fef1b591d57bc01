"""Wait for a server the benchmarks started to answer, however slow its first answer is.

A booting gunicorn accepts connections before its workers have imported the app, so the first
request may wait for seconds: a read timeout means "not yet", like a refused connection.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests


def wait_until_up(
    url: str,
    process: subprocess.Popen | None = None,
    *,
    deadline_seconds: float = 90.0,
    request_timeout: float = 5.0,
) -> None:
    """Return once GET url answers 2xx; raise RuntimeError if `process` exits or the deadline passes."""
    deadline = time.monotonic() + deadline_seconds
    last = "no answer yet"
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with status {process.returncode} before answering")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"{url}: not up after {deadline_seconds:.0f} s ({last})")
        try:
            response = requests.get(url, timeout=min(request_timeout, remaining))
            if response.ok:
                return
            last = f"HTTP {response.status_code}"
        except requests.RequestException as error:  # refused, reset, read timeout while it boots
            last = f"{type(error).__name__}"
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def start_gunicorn(
    app: str,
    port: int,
    env: dict[str, str],
    *,
    workers: int = 1,
    threads: int = 4,
    ready_path: str = "/healthz",
) -> subprocess.Popen:
    """`app` under gunicorn (gthread) on 127.0.0.1:port, returned once `ready_path` answers 2xx;
    killed, and a RuntimeError raised, if it does not come up."""
    command = [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads)]
    command += ["-w", str(workers), "--log-level", "warning", "-b", f"127.0.0.1:{port}", app]
    root = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(command, cwd=root, env={**os.environ, **env})
    try:
        wait_until_up(f"http://127.0.0.1:{port}{ready_path}", process)
    except RuntimeError as error:
        process.kill()
        raise RuntimeError(f"{app} did not start on port {port}: {error}") from None
    return process
