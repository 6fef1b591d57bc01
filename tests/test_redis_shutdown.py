"""Stopping an embedded Redis that does not answer must not hold up the process's exit.

A `make test-services` run printed its result and then sat for minutes in the exit hook: SHUTDOWN to
embedded servers that did not answer, each retried three times with backoff (redis-py's default).
"""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace

from lti_app.adapters import redis_store


def test_shutdown_of_a_server_that_never_answers_gives_up_after_one_timeout(tmp_path):
    path = str(tmp_path / "silent.sock")
    silent = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    silent.bind(path)
    silent.listen(8)  # accepts connections (the kernel does), never reads or answers
    try:
        started = time.monotonic()
        redis_store._shutdown(SimpleNamespace(socket_file=path))
        elapsed = time.monotonic() - started
    finally:
        silent.close()
    assert elapsed < 3.5, f"gave up after {elapsed:.1f} s"


def test_shutdown_of_a_server_already_gone_returns_at_once(tmp_path):
    started = time.monotonic()
    redis_store._shutdown(SimpleNamespace(socket_file=str(tmp_path / "gone.sock")))
    assert time.monotonic() - started < 1.0
