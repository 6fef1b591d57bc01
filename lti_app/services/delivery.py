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
from typing import Any

import redis
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lti_app.adapters.lms_client import (
    CONNECT_TIMEOUT,
    LINEITEM,
    LINEITEMS,
    RESULTS,
    SCORE,
    LmsClient,
    LmsError,
    service_url,
)
from lti_app.adapters.orm import GradeDelivery, Platform, ToolKey, utcnow
from lti_app.lti.claims import AGS_SCOPES as AGS
from lti_app.lti.claims import AGS_SCORE_SCOPE
from lti_app.lti.keys import signing_key
from lti_app.observability import metrics

SCOPES = (AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS_SCORE_SCOPE)
LEASE = timedelta(seconds=90)  # the default lease; a running worker renews it (grade_worker)
LINEITEM_PAGES = 10  # line item pages read to find a link's column (1,000 columns at 100 a page)
# find or create a line item: each page and the POST maybe twice (401), plus up to two token requests
LINEITEM_CALLS = 2 * (LINEITEM_PAGES + 1) + 2
BASE_DELAY_SECONDS = 2.0
MAX_DELAY_SECONDS = 600.0
WAITING = ("pending", "retrying")
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
    """Lease up to `limit` due deliveries for this worker."""
    now = utcnow()
    due = (
        select(GradeDelivery.id)
        .where(
            GradeDelivery.status.in_(WAITING),
            GradeDelivery.next_attempt_at <= now,
            or_(GradeDelivery.locked_until.is_(None), GradeDelivery.locked_until < now),
        )
        .order_by(GradeDelivery.next_attempt_at, GradeDelivery.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = []
    for delivery_id in session.scalars(due).all():
        leased = session.execute(
            update(GradeDelivery)
            .where(
                GradeDelivery.id == delivery_id,
                GradeDelivery.status.in_(WAITING),
                or_(GradeDelivery.locked_until.is_(None), GradeDelivery.locked_until < now),
            )
            .values(locked_by=worker, locked_until=now + lease)
        )
        if leased.rowcount == 1:
            claimed.append(delivery_id)
    session.commit()
    return (
        list(session.scalars(select(GradeDelivery).where(GradeDelivery.id.in_(claimed)))) if claimed else []
    )


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
        lineitem = delivery.lineitem_url or _lineitem_for_link(client, cache, delivery, timeout)
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


def lock_seconds(timeout: float) -> float:
    """How long the line item lock may be held: the slowest find-or-create chain (LINEITEM_CALLS
    requests, each up to its connect and read timeouts), with a margin."""
    return LINEITEM_CALLS * (min(CONNECT_TIMEOUT, timeout) + timeout) + 5.0


def _lineitem_for_link(client: LmsClient, cache: redis.Redis, delivery: GradeDelivery, timeout: float) -> str:
    """The link's line item, looked up once and then remembered (one GET saved per grade); one
    worker at a time finds or creates it, so two workers never create two columns.

    The lock outlasts the slowest call chain. If it is lost anyway (Redis flushed or restarted),
    the work done under it still counts: losing it on release is logged, never raised."""
    key = f"skarp:lineitem:{delivery.platform_id}:{delivery.resource_link_id}"
    cached = cache.get(key)
    if cached:
        return cached.decode()
    seconds = lock_seconds(timeout)
    lock = cache.lock(key + ":lock", timeout=seconds, blocking_timeout=seconds)
    if not lock.acquire():
        raise LmsError("another worker is still looking up this link's line item")
    try:
        cached = cache.get(key)
        if cached:
            return cached.decode()
        url = _find_or_create_lineitem(client, delivery)
        cache.set(key, url, ex=24 * 3600)
        return url
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError as error:
            log.warning("line item lock %s lost while held (%s); carrying on", key, type(error).__name__)
        except redis.RedisError as error:
            log.warning("line item lock %s not released (%s); it expires by itself", key, error)


def _find_or_create_lineitem(client: LmsClient, delivery: GradeDelivery) -> str:
    if not delivery.lineitems_url:
        raise LmsError("the launch gave no line item and no line items URL", retryable=False)
    query = {"resource_link_id": delivery.resource_link_id, "tag": "skarp"}
    pages = client.pages(
        delivery.lineitems_url, SCOPES, accept=LINEITEMS, params=query, max_pages=LINEITEM_PAGES
    )
    for page in pages:  # lazily: the pages after the one holding it are never read
        found = _ours(page.json(), query)
        if found:
            return found
    created = client.call(
        "POST",
        delivery.lineitems_url,
        SCOPES,
        accept=LINEITEM,
        json={
            "scoreMaximum": delivery.score_maximum,
            "label": delivery.label,
            "resourceLinkId": delivery.resource_link_id,
            "resourceId": delivery.label,
            "tag": "skarp",
        },
        headers={"Content-Type": LINEITEM},
    ).json()
    return created["id"]


def _ours(items: Any, query: dict[str, str]) -> str | None:
    """The first line item of a page that is this link's column. The filters were asked for, but
    an LMS may ignore them, so what comes back is checked: every one of resourceLinkId and tag it
    shows must be ours, and it must show at least one (we set both when creating it). A page that is
    not a list is an error, not "none here" (that would create a duplicate column)."""
    if not isinstance(items, list):
        raise LmsError("the line items page is not a JSON list", retryable=False)
    wanted = {"resourceLinkId": query["resource_link_id"], "tag": query["tag"]}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        shown = {field: item[field] for field in wanted if item.get(field) is not None}
        if shown and all(wanted[field] == value for field, value in shown.items()):
            return item["id"]
    return None


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
        "tries": GradeDelivery.tries + 1,
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
    session.execute(
        update(GradeDelivery)
        .where(
            GradeDelivery.id == delivery.id,
            GradeDelivery.locked_by == worker,
            GradeDelivery.status.in_(WAITING),
        )
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
) -> int:
    """Claim and deliver what is due, up to `concurrency` at once; returns how many were attempted.
    `on_claim` hears which grades were leased (the worker's lease keeper renews them). When
    `stopping()` turns true, the grades not yet started are released for other workers at once.

    Each delivery runs on its own database session (a Session is not shared between threads); the
    batch's platforms and the signing key are loaded once and handed over as detached snapshots."""
    batch = claim(session, worker, limit, lease)
    on_claim([d.id for d in batch])
    if not batch:
        return 0
    key = signing_key(session)
    wanted = {d.platform_id for d in batch}
    platforms = {p.id: p for p in session.scalars(select(Platform).where(Platform.id.in_(wanted)))}
    session.expunge_all()  # read-only snapshots from here on, safe to read from the pool's threads
    bind = session.get_bind()

    def one(delivery: GradeDelivery) -> bool:
        if stopping():
            return False
        with Session(bind, expire_on_commit=False) as own:
            deliver(
                own,
                cache,
                delivery,
                worker,
                timeout,
                lease,
                platform=platforms[delivery.platform_id],
                key=key,
            )
        return True

    if concurrency <= 1:
        started = [one(delivery) for delivery in batch]
    else:
        with ThreadPoolExecutor(min(concurrency, len(batch)), thread_name_prefix="deliver") as pool:
            started = list(pool.map(one, batch))
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
