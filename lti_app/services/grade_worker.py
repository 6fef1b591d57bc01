"""The grade worker's loop: deliver what is due, for as long as it runs, whatever fails on the way.

A worker must outlive every fault it can expect: the LMS slow, failing or hanging (each grade is
retried, see services.delivery), Redis flushed or unavailable, a lock that expired while held, the
database restarting or dropping connections. It logs, backs off (exponential, full jitter) and
goes on; a supervisor (systemd `Restart=always`) covers what cannot be expected.

Leases are short so that a killed worker's grades go to another within one lease, yet a slow LMS
never makes a live worker lose one: a heartbeat thread, on its own database connection, renews
the leases of the grades this worker is working on. It renews nothing else, so a grade left
behind by a failure lapses and is taken again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

import redis
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, scoped_session

from lti_app.observability.heartbeat import beat
from lti_app.services import delivery
from lti_app.services.delivery import log

MAX_PAUSE_SECONDS = 30.0
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class WorkerSettings:
    batch: int = 32  # grades leased per round
    concurrency: int = 8  # deliveries in flight at once (threads; each LMS call waits on the network)
    idle: float = 1.0  # seconds to wait when nothing is due
    timeout: float = 15.0  # each LMS request's read timeout
    lease: float = 30.0  # seconds before a dead worker's grades go to another
    once: bool = False  # deliver what is due, then exit


class StopFlag:
    """Set from a signal handler, so it takes no lock: `threading.Event.set()` in a handler can
    deadlock when the signal lands while the main thread is inside `Event.wait()` holding the
    event's own lock. Waiting is done in short sleeps that look at the flag."""

    SLICE_SECONDS = 0.1

    def __init__(self) -> None:
        self._set = False

    def set(self, *_signal: object) -> None:
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not self._set and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(self.SLICE_SECONDS, left))
        return self._set


class DeliveryPool:
    """The worker's delivery threads, kept for its lifetime, each on a database connection of its own
    that it keeps across deliveries: checking one out of the engine's pool per delivery would cost a
    pre-ping round trip each time. A thread whose connection failed drops it and opens a fresh one
    for its next delivery (the database may have restarted)."""

    def __init__(self, engine: Engine, size: int):
        self.engine = engine
        self._executor = ThreadPoolExecutor(size, thread_name_prefix="deliver")
        self._local = threading.local()
        self._opened: list[Session] = []
        self._guard = threading.Lock()

    def __enter__(self) -> DeliveryPool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._executor.shutdown(wait=True)
        with self._guard:
            for session in self._opened:
                _close(session)

    def map(self, work: Callable[[Session, T], R], items: Iterable[T]) -> list[R]:
        return list(self._executor.map(lambda item: self._run(work, item), items))

    def _run(self, work: Callable[[Session, T], R], item: T) -> R:
        session = getattr(self._local, "session", None)
        if session is None:
            session = Session(bind=self.engine.connect(), expire_on_commit=False)
            self._local.session = session
            with self._guard:
                self._opened.append(session)
        try:
            return work(session, item)
        except SQLAlchemyError:
            self._local.session = None
            _close(session)
            raise
        finally:
            if self._local.session is session:
                session.rollback()  # nothing left open between deliveries (a no-op after a commit)


def _close(session: Session) -> None:
    connection = session.bind
    try:
        session.close()
        connection.close()  # type: ignore[union-attr]
    except Exception as error:  # already broken: the engine's pool will not hand it out again
        log.warning("could not close a delivery connection: %s", error)


class LeaseKeeper:
    """Renews this worker's leases on the grades it holds, every third of a lease, from a thread."""

    def __init__(self, engine: Engine, worker: str, lease: timedelta):
        self.engine, self.worker, self.lease = engine, worker, lease
        self._held: set[int] = set()
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def hold(self, ids: Iterable[int]) -> None:
        with self._guard:
            self._held.update(ids)

    def clear(self) -> None:
        with self._guard:
            self._held.clear()

    def _run(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            with self._guard:
                held = sorted(self._held)
            if not held:
                continue
            try:
                with Session(self.engine) as session:
                    delivery.renew(session, held, self.worker, self.lease)
            except Exception as error:  # the database may be restarting: the next beat tries again
                log.warning("could not renew leases %s: %s", held, error)


def serve(
    sessions: scoped_session,
    engine: Engine,
    cache: redis.Redis,
    worker: str,
    settings: WorkerSettings,
    stop: StopFlag,
) -> int:
    """Run until `stop` is set (SIGTERM/SIGINT: the grade in hand is finished, the rest released).
    Returns the exit status: 0, or 1 when --once met a fault."""
    lease = timedelta(seconds=settings.lease)
    failures = 0
    with ExitStack() as stack:
        keeper = stack.enter_context(LeaseKeeper(engine, worker, lease))
        pool = stack.enter_context(DeliveryPool(engine, settings.concurrency))
        while not stop.is_set():
            beat(cache, worker)  # liveness for /readyz and /metrics (never raises)
            try:
                done = _round(sessions(), cache, worker, settings, lease, keeper, stop, pool)
                failures = 0
            except Exception as error:  # expected faults (database, Redis) and anything else alike
                failures += 1
                pause = min(MAX_PAUSE_SECONDS, delivery.backoff(failures, None) + 0.1 * failures)
                _log_fault(error, pause)
                _let_go(sessions, worker)
                if settings.once:
                    return 1
                stop.wait(pause)
                continue
            finally:
                sessions.remove()
            if settings.once and done == 0:
                break
            if done == 0:
                stop.wait(settings.idle)
    return 0


def _round(
    session: Session,
    cache: redis.Redis,
    worker: str,
    settings: WorkerSettings,
    lease: timedelta,
    keeper: LeaseKeeper,
    stop: StopFlag,
    pool: DeliveryPool,
) -> int:
    try:
        return delivery.run_once(
            session,
            cache,
            worker,
            settings.batch,
            settings.timeout,
            lease,
            stop.is_set,
            keeper.hold,
            concurrency=settings.concurrency,
            pool=pool,
        )
    finally:
        keeper.clear()  # renew nothing this round left behind: after a fault, it lapses


def _log_fault(error: Exception, pause: float) -> None:
    expected = isinstance(error, SQLAlchemyError | redis.RedisError | OSError)
    message = "%s: %s; pausing %.1f s" if expected else "unexpected %s: %s; pausing %.1f s"
    log.warning(message, type(error).__name__, error, pause, exc_info=not expected)


def _let_go(sessions: scoped_session, worker: str) -> None:
    """After a fault, release what this worker still holds so it is taken again soon (if the
    database is down this fails too, and the leases lapse by themselves)."""
    try:
        sessions.rollback()
        delivery.release(sessions(), worker)
    except Exception as error:
        log.warning("could not release leases: %s", error)
    finally:
        sessions.remove()
