"""The benchmarks' wait for a booting server: a slow first answer is "not yet", not a crash.

`make benchmark` crashed on a clean clone: the first answer of a booting gunicorn took longer than the
1 s request timeout and the wait caught only ConnectionError, so the ReadTimeout ended the run.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from benchmarks.wait import wait_until_up


@contextmanager
def slow_server(first_delays: list[float], status: int = 200) -> Iterator[tuple[str, list[float]]]:
    """A loopback server whose n-th answer waits first_delays[n] seconds (later ones answer at once)."""
    delays = list(first_delays)
    seen: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(time.monotonic())
            if delays:
                time.sleep(delays.pop(0))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    class Server(ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            pass  # a client that gave up on a slow answer: the point of these tests

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/healthz", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_first_answer_slower_than_the_request_timeout_is_waited_out():
    with slow_server([1.5]) as (url, seen):
        started = time.monotonic()
        wait_until_up(url, request_timeout=0.3, deadline_seconds=20)
    assert len(seen) >= 2, "the wait returned without a second request"
    assert time.monotonic() - started < 10


def test_an_error_status_is_not_up():
    unavailable = pytest.raises(RuntimeError, match=r"not up after 1 s \(HTTP 503\)")
    with slow_server([], status=503) as (url, _), unavailable:
        wait_until_up(url, request_timeout=0.3, deadline_seconds=1)


def test_a_server_that_never_answers_in_time_ends_at_the_deadline():
    with slow_server([5.0] * 10) as (url, _):
        started = time.monotonic()
        with pytest.raises(RuntimeError, match=r"not up after 2 s \(ReadTimeout\)"):
            wait_until_up(url, request_timeout=0.5, deadline_seconds=2)
        assert time.monotonic() - started < 4


def test_a_server_process_that_exits_is_reported_at_once():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    process.wait()
    with pytest.raises(RuntimeError, match="exited with status 3"):
        wait_until_up("http://127.0.0.1:9/healthz", process, deadline_seconds=30)
