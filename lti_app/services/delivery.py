"""Deliver queued grades to LMS gradebooks (AGS), never losing one and never sending one twice at once.

A worker leases due deliveries (an atomic compare-and-set on `locked_until`, with SKIP LOCKED on
PostgreSQL so workers don't queue behind each other), then delivers them concurrently (a bounded
thread pool, each delivery on its own database session, sharing one keep-alive HTTP pool and the
platform's pace, adapters.throttle): finds the line item (remembered per link in Redis) or creates
it, posts the Score, and releases the lease. A 2xx answer to the Score POST is the LMS's
confirmation (synced); the gradebook is read back only when the outcome is ambiguous: a retried
POST answered 409/400 may mean the first one landed. 5xx, 429 (honouring Retry-After), timeouts
and network errors are retried with exponential backoff and full jitter; other 4xx are failed with
the platform's message. So are the tool's own faults on the way (Redis flushed or down, a lock
lost, a malformed LMS answer): a grade is retried, a worker never dies of them. A worker killed
mid-delivery leaves its lease to expire, and another worker delivers the grade; a live worker keeps
its leases (services.grade_worker renews them).
"""

from __future__ import annotations

import logging
import os
import random
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any, Protocol

import redis
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lti_app.adapters.lms_client import RESULTS, SCORE, LmsClient, LmsError, service_url
from lti_app.adapters.orm import GradeDelivery, Platform, ToolKey, utcnow
from lti_app.lti.keys import signing_key
from lti_app.observability import metrics
from lti_app.services.lineitems import SCOPES, lineitem_for_link

LEASE = timedelta(seconds=90)  # the default lease; a running worker renews it (grade_worker)
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 600.0
WAITING = ("pending", "retrying")
_TABLE = GradeDelivery.__table__
CANVAS_SUBMISSION = "https://canvas.instructure.com/lti/submission"


log = logging.getLogger("lti_app.worker")  # under the JSON-lines logger (observability.logs)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_rng = random.Random()  # noqa: S311 - jitter, not security


def backoff(tries: int, retry_after: float | None, rng: random.Random = _rng) -> float:
    """Full jitter (AWS architecture blog), never sooner than the platform's Retry-After."""
    ceiling = min(MAX_DELAY_SECONDS, BASE_DELAY_SECONDS * 2 ** max(0, tries - 1))
    return max(rng.uniform(0, ceiling), retry_after or 0.0)


def claim(session: Session, worker: str, limit: int = 10, lease: timedelta = LEASE) -> list[GradeDelivery]:
    """Lease up to `limit` due deliveries for this worker, in one statement: UPDATE ... WHERE id IN
    (the due ones, SKIP LOCKED on PostgreSQL) RETURNING the rows. The UPDATE re-checks that each row
    is still waiting and unleased, so two workers never lease the same grade, and a worker's claim
    costs one round trip whatever the batch size (the pool of deliveries waits on it)."""
    now = utcnow()
    unleased = or_(GradeDelivery.locked_until.is_(None), GradeDelivery.locked_until < now)
    due = (
        select(GradeDelivery.id)
        .where(GradeDelivery.status.in_(WAITING), GradeDelivery.next_attempt_at <= now, unleased)
        .order_by(GradeDelivery.next_attempt_at, GradeDelivery.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    leased = session.scalars(
        update(GradeDelivery)
        .where(GradeDelivery.id.in_(due), GradeDelivery.status.in_(WAITING), unleased)
        .values(locked_by=worker, locked_until=now + lease)
        .returning(GradeDelivery),
        execution_options={"synchronize_session": False},
    ).all()
    session.commit()
    return sorted(leased, key=lambda d: (d.next_attempt_at, d.id))


class SessionPool(Protocol):
    """Runs work on threads that each have a database session of their own (grade_worker.DeliveryPool)."""

    def map(self, work: Callable[[Session, Any], Any], items: list[Any]) -> list[Any]: ...


@dataclass
class Outcome:
    status: str  # synced | retrying | failed
    error: str | None = None
    http_status: int | None = None
    retry_after: float | None = None
    lineitem_url: str | None = None


def deliver(
    session: Session,
    cache: redis.Redis,
    delivery: GradeDelivery,
    worker: str,
    timeout: float = 15.0,
    lease: timedelta = LEASE,
    *,
    platform: Platform | None = None,
    key: ToolKey | None = None,
) -> Outcome:
    """Send one leased delivery and record what happened (only while the lease is still ours).

    Whatever fails on the way to the LMS becomes a retry with backoff, never a dead worker. Only
    database errors propagate: nothing can be recorded then, and the lease lapses. `platform` and
    `key` may be given already loaded (run_once loads them once per batch)."""
    platform = platform or session.get(Platform, delivery.platform_id)
    client = LmsClient(platform, key or signing_key(session), cache, timeout=timeout)
    try:
        lineitem = delivery.lineitem_url or lineitem_for_link(client, cache, delivery, timeout)
        if not _lease_is_fresh(delivery, lease) and not renew(session, [delivery.id], worker, lease):
            log.warning("grade %s: lease lost before the score was sent; left to its new holder", delivery.id)
            return Outcome("retrying", "lease lost")
        _post_score(client, lineitem, delivery, platform)
        outcome = Outcome("synced", lineitem_url=lineitem)
    except LmsError as error:
        outcome = Outcome(
            "retrying" if error.retryable else "failed", str(error), error.status, error.retry_after
        )
    except SQLAlchemyError:
        raise
    except Exception as error:  # Redis down or flushed, a lost lock, a malformed LMS answer
        log.warning("grade %s: %s: %s (will retry)", delivery.id, type(error).__name__, error)
        outcome = Outcome("retrying", f"the tool could not finish: {type(error).__name__}: {error}"[:500])
    _record(session, delivery, outcome, worker)
    metrics.delivery_finished(delivery, outcome.status)
    log.info("grade %s: %s by %s (%s)", delivery.id, outcome.status, worker, outcome.error or "ok")
    return outcome


def _lease_is_fresh(delivery: GradeDelivery, lease: timedelta) -> bool:
    """More than half of the lease this worker took at claim time is left: nobody else can hold the
    grade yet, so the check-and-renew before the POST (a database write) is not needed. Later (a slow
    LMS, a long queue in the pool) the lease is renewed and checked before the score goes out."""
    until = delivery.locked_until
    if until is None:
        return False
    if until.tzinfo is None:  # SQLite hands back naive UTC datetimes
        until = until.replace(tzinfo=UTC)
    return until - utcnow() > lease / 2


def renew(session: Session, ids: list[int], worker: str, lease: timedelta = LEASE) -> bool:
    """Extend this worker's leases on `ids`; False if any of them is no longer ours."""
    if not ids:
        return True
    renewed = session.execute(
        update(GradeDelivery)
        .where(
            GradeDelivery.id.in_(ids),
            GradeDelivery.locked_by == worker,
            GradeDelivery.status.in_(WAITING),
        )
        .values(locked_until=utcnow() + lease)
    )
    session.commit()
    return renewed.rowcount == len(ids)


def release(session: Session, worker: str, ids: list[int] | None = None) -> int:
    """Give up this worker's leases (all, or on `ids`) so another worker can take them now."""
    query = update(GradeDelivery).where(GradeDelivery.locked_by == worker, GradeDelivery.status.in_(WAITING))
    if ids is not None:
        query = query.where(GradeDelivery.id.in_(ids))
    released = session.execute(query.values(locked_by=None, locked_until=None))
    session.commit()
    return released.rowcount


def _post_score(client: LmsClient, lineitem: str, delivery: GradeDelivery, platform: Platform) -> None:
    """POST the Score; returning means the LMS took it. A request that timed out may still have
    landed: then the retry meets 409 (Moodle: timestamp not later) or 400 (Canvas: older score), and
    only then is the gradebook read back, to tell "already there" from a real refusal."""
    try:
        client.call(
            "POST",
            service_url(lineitem, "/scores"),
            SCOPES,
            accept="application/json",
            json=_score(delivery, platform),
            headers={"Content-Type": SCORE},
        )
    except LmsError as error:
        if error.status not in (400, 409) or not _confirmed(client, lineitem, delivery):
            raise


def _score(delivery: GradeDelivery, platform: Platform) -> dict[str, Any]:
    score = {
        "userId": delivery.user_sub,
        "scoreGiven": delivery.score_given,
        "scoreMaximum": delivery.score_maximum,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": delivery.timestamp.isoformat(timespec="seconds"),
        "comment": delivery.comment,
    }
    if (platform.product_family or "").lower() == "canvas":
        score[CANVAS_SUBMISSION] = {
            "new_submission": True,
            "submission_type": "basic_lti_launch",
            "submitted_at": delivery.timestamp.isoformat(timespec="seconds"),
        }
    return score


def _confirmed(client: LmsClient, lineitem: str, delivery: GradeDelivery) -> bool:
    """Read the gradebook back: the result for this learner shows this score."""
    results = client.call(
        "GET",
        service_url(lineitem, "/results"),
        SCOPES,
        accept=RESULTS,
        params={"user_id": delivery.user_sub},
    ).json()
    for result in results:
        if result.get("userId") != delivery.user_sub or result.get("resultScore") is None:
            continue
        given = float(result["resultScore"]) / float(result.get("resultMaximum") or 1)
        return abs(given - delivery.score_given / delivery.score_maximum) < 1e-6
    return False


def _record(session: Session, delivery: GradeDelivery, outcome: Outcome, worker: str) -> None:
    now = utcnow()
    values: dict[str, Any] = {
        "tries": _TABLE.c.tries + 1,
        "last_status": outcome.http_status,
        "last_error": outcome.error,
        "locked_by": None,
        "locked_until": None,
    }
    if outcome.lineitem_url:
        values["lineitem_url"] = outcome.lineitem_url
    if outcome.status == "synced":
        values.update(status="synced", synced_at=now, sent_at=now, retrying_since=None, last_error=None)
    elif outcome.status == "failed":
        values.update(status="failed")
    else:
        delay = backoff(delivery.tries + 1, outcome.retry_after)
        values.update(
            status="retrying",
            next_attempt_at=now + timedelta(seconds=delay),
            retrying_since=delivery.retrying_since or now,
        )
    session.execute(  # a Core UPDATE: the ORM's bulk-update path costs more CPU than the delivery's HTTP
        update(_TABLE)
        .where(_TABLE.c.id == delivery.id, _TABLE.c.locked_by == worker, _TABLE.c.status.in_(WAITING))
        .values(**values)
    )
    session.commit()


def run_once(
    session: Session,
    cache: redis.Redis,
    worker: str,
    limit: int = 10,
    timeout: float = 15.0,
    lease: timedelta = LEASE,
    stopping: Callable[[], bool] = lambda: False,
    on_claim: Callable[[list[int]], None] = lambda _ids: None,
    concurrency: int = 1,
    pool: SessionPool | None = None,
) -> int:
    """Claim and deliver what is due, up to `concurrency` at once; returns how many were attempted.
    `on_claim` hears which grades were leased (the worker's lease keeper renews them). When
    `stopping()` turns true, the grades not yet started are released for other workers at once.

    Each delivery runs on its own database session (a Session is not shared between threads); the
    batch's platforms and the signing key are loaded once and handed over as detached snapshots.
    `pool` (the worker's, kept for its lifetime) runs them; without one, `concurrency` threads are
    started for this round."""
    batch = claim(session, worker, limit, lease)
    on_claim([d.id for d in batch])
    if not batch:
        return 0
    key = signing_key(session)
    wanted = {d.platform_id for d in batch}
    platforms = {p.id: p for p in session.scalars(select(Platform).where(Platform.id.in_(wanted)))}
    session.expunge_all()  # read-only snapshots from here on, safe to read from the pool's threads
    bind = session.get_bind()

    def one(own: Session, delivery: GradeDelivery) -> bool:
        if stopping():
            return False
        platform = platforms[delivery.platform_id]
        deliver(own, cache, delivery, worker, timeout, lease, platform=platform, key=key)
        return True

    def on_a_session_of_its_own(delivery: GradeDelivery) -> bool:
        with Session(bind, expire_on_commit=False) as own:
            return one(own, delivery)

    if pool is not None:  # the worker's own threads and connections, kept across rounds (grade_worker)
        started = pool.map(one, batch)
    elif concurrency <= 1:
        started = [on_a_session_of_its_own(delivery) for delivery in batch]
    else:
        with ThreadPoolExecutor(min(concurrency, len(batch)), thread_name_prefix="deliver") as threads:
            started = list(threads.map(on_a_session_of_its_own, batch))
    left = [delivery.id for delivery, ran in zip(batch, started, strict=True) if not ran]
    if left:
        release(session, worker, left)
    return len(batch) - len(left)


def resync(session: Session, delivery_ids: list[int]) -> int:
    """Instructor action: try failed or retrying grades again now (a synced grade is already there)."""
    result = session.execute(
        update(GradeDelivery)
        .where(GradeDelivery.id.in_(delivery_ids), GradeDelivery.status.in_(("failed", "retrying")))
        .values(status="pending", next_attempt_at=utcnow(), locked_by=None, locked_until=None)
    )
    session.commit()
    return result.rowcount
