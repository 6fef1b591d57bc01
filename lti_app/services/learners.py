"""A learner's data rights (GDPR articles 15, 17 and 20): export everything held about one learner,
or erase it.

A learner is a `sub` at a platform: LTI subjects are unique per issuer, so `--platform` may name a
registration by id or by issuer (then every registration of that issuer counts). What is held, by
table: launch records, attempts with their answers, grade deliveries (the outbox), review cards and
their rating logs, mastery snapshots; in Redis, copies of launches (the tool's launch cache and
pylti1p3's launch data, which holds the whole id_token body) and course rosters read from the LMS.

The export also carries pylti1p3's copies while they last.
Erasing deletes the rows in one transaction and the Redis copies around it. Aggregates are never
stored: the instructor's class report and item statistics are computed from the attempts that remain,
so after an erase they are exactly those of the remaining learners. What the LMS holds (its gradebook,
its roster) is the LMS's to erase: the tool cannot and does not touch it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import redis
from sqlalchemy import and_, delete, func, inspect, or_, select
from sqlalchemy.orm import Session

from lti_app.adapters.orm import (
    Answer,
    Attempt,
    GradeDelivery,
    LaunchRecord,
    MasterySnapshot,
    Platform,
    ReviewCardState,
    ReviewLogEntry,
    utcnow,
)

EXPORT_FORMAT = "skarp-learner-export/1"
PYLTI_LAUNCH_DATA = "lti1p3-*launch-*"
OWNED = (LaunchRecord, Attempt, GradeDelivery, ReviewCardState, ReviewLogEntry, MasterySnapshot)


class LearnerError(Exception):
    """The learner cannot be identified (unknown platform, empty sub)."""


@dataclass(frozen=True)
class Learner:
    platforms: tuple[Platform, ...]
    user_sub: str

    @property
    def platform_ids(self) -> list[int]:
        return [p.id for p in self.platforms]


def find_learner(session: Session, platform: str, user_sub: str) -> Learner:
    """`platform` is a registration id or an issuer URL."""
    platform, user_sub = platform.strip(), user_sub.strip()
    if not user_sub:
        raise LearnerError("--sub must not be empty")
    query = select(Platform).order_by(Platform.id)
    if platform.isdigit():
        found = list(session.scalars(query.where(Platform.id == int(platform))))
    else:
        found = list(session.scalars(query.where(Platform.issuer == platform.rstrip("/"))))
        found = found or list(session.scalars(query.where(Platform.issuer == platform)))
    if not found:
        raise LearnerError(
            f"no platform with id or issuer {platform!r} (see `flask --app lti_app platforms list`)"
        )
    return Learner(tuple(found), user_sub)


def _owned(model: Any, learner: Learner) -> tuple:
    return (model.platform_id.in_(learner.platform_ids), model.user_sub == learner.user_sub)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _row(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every column of a row, as JSON-ready values: the export hides nothing that is stored."""
    return {
        attr.key: _plain(getattr(row, attr.key))
        for attr in inspect(row).mapper.column_attrs
        if attr.key not in skip
    }


def export(session: Session, cache: redis.Redis, learner: Learner) -> dict[str, Any]:
    """Everything held about the learner, as one JSON-ready document: the database's rows and, while
    they last (a day at most), pylti1p3's copies of their launches' id_token bodies in Redis."""

    def rows(model: Any, order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(*_owned(model, learner)).order_by(order)))

    attempts = rows(Attempt, Attempt.id)
    document = {
        "format": EXPORT_FORMAT,
        "generated_at": utcnow().isoformat(),
        "learner": {
            "sub": learner.user_sub,
            "platforms": [
                {"id": p.id, "name": p.name, "issuer": p.issuer, "client_id": p.client_id}
                for p in learner.platforms
            ],
        },
        "launches": [_row(r) for r in rows(LaunchRecord, LaunchRecord.created_at)],
        "attempts": [
            _row(a) | {"answers": [_row(x) for x in sorted(a.answers, key=lambda x: x.answered_at)]}
            for a in attempts
        ],
        "grade_deliveries": [
            _row(r, skip=("locked_by", "locked_until")) for r in rows(GradeDelivery, GradeDelivery.id)
        ],
        "review_cards": [_row(r) for r in rows(ReviewCardState, ReviewCardState.id)],
        "review_logs": [_row(r) for r in rows(ReviewLogEntry, ReviewLogEntry.reviewed_at)],
        "mastery_snapshots": [_row(r) for r in rows(MasterySnapshot, MasterySnapshot.taken_at)],
        "cached_launch_data": _cached_launch_data(session, cache, learner),
    }
    document["counts"] = {name: len(value) for name, value in document.items() if isinstance(value, list)}
    return document


def _cached_launch_data(session: Session, cache: redis.Redis, learner: Learner) -> list[dict[str, Any]]:
    """The id_token bodies pylti1p3 keeps in Redis for a day (by launch id; the Redis key itself names
    a browser's session cookie, so it is not exported)."""
    _keys, launch_uuids = _launch_cache_keys(session, cache, learner)
    copies = []
    for key in _pylti_launch_data(cache, launch_uuids):
        raw = cache.get(key)
        if raw is not None:
            launch_uuid = key.decode(errors="replace").rsplit("launch-", 1)[-1]
            copies.append(
                {"launch_id": f"lti1p3-launch-{launch_uuid}", "expires_in_seconds": cache.ttl(key)}
                | {"id_token_body": json.loads(raw)}
            )
    return sorted(copies, key=lambda copy: copy["launch_id"])


def _launch_cache_keys(session: Session, cache: redis.Redis, learner: Learner) -> tuple[list[str], set]:
    """Redis copies of the learner's launches and the rosters of their courses."""
    launches = list(
        session.execute(
            select(LaunchRecord.id, LaunchRecord.context_id, LaunchRecord.platform_id).where(
                *_owned(LaunchRecord, learner)
            )
        )
    )
    contexts = {(platform_id, context_id) for _id, context_id, platform_id in launches}
    contexts |= set(
        session.execute(select(Attempt.platform_id, Attempt.context_id).where(*_owned(Attempt, learner)))
    )
    keys = [f"skarp:launch:{launch_id}" for launch_id, _c, _p in launches]
    keys += [f"skarp:roster:{platform_id}:{context_id}" for platform_id, context_id in contexts]
    ids = {launch_id.removeprefix("lti1p3-launch-") for launch_id, _c, _p in launches}
    return keys, ids


def _pylti_launch_data(cache: redis.Redis, launch_uuids: set[str]) -> Iterator[bytes]:
    """pylti1p3's copies of the id_token body: `lti1p3-[session-]launch-<uuid>` (expire within a day)."""
    if not launch_uuids:
        return
    for key in cache.scan_iter(match=PYLTI_LAUNCH_DATA, count=1000):
        if key.decode(errors="replace").rsplit("launch-", 1)[-1] in launch_uuids:
            yield key


def _forget_cached(cache: redis.Redis, keys: list[str], launch_uuids: set[str]) -> int:
    found = list(_pylti_launch_data(cache, launch_uuids))
    return cache.delete(*keys, *found) if keys or found else 0


def erase(session: Session, cache: redis.Redis, learner: Learner) -> dict[str, int]:
    """Delete everything held about the learner; returns how many rows (and cache keys) went.

    The Redis copies are removed before the transaction commits (so a failed commit leaves nothing
    half-done that matters: a cache is rebuilt from the database) and again after it (a request that
    re-cached a launch in between finds it gone from the database)."""
    keys, launch_uuids = _launch_cache_keys(session, cache, learner)
    cached = _forget_cached(cache, keys, launch_uuids)
    attempt_ids = select(Attempt.id).where(*_owned(Attempt, learner)).scalar_subquery()
    counts: dict[str, int] = {}
    counts["answers"] = session.execute(delete(Answer).where(Answer.attempt_id.in_(attempt_ids))).rowcount
    counts["grade_deliveries"] = session.execute(
        delete(GradeDelivery).where(
            or_(GradeDelivery.attempt_id.in_(attempt_ids), and_(*_owned(GradeDelivery, learner)))
        )
    ).rowcount
    counts["attempts"] = session.execute(delete(Attempt).where(*_owned(Attempt, learner))).rowcount
    counts["review_logs"] = session.execute(
        delete(ReviewLogEntry).where(*_owned(ReviewLogEntry, learner))
    ).rowcount
    counts["review_cards"] = session.execute(
        delete(ReviewCardState).where(*_owned(ReviewCardState, learner))
    ).rowcount
    counts["mastery_snapshots"] = session.execute(
        delete(MasterySnapshot).where(*_owned(MasterySnapshot, learner))
    ).rowcount
    counts["launches"] = session.execute(delete(LaunchRecord).where(*_owned(LaunchRecord, learner))).rowcount
    session.commit()
    session.expire_all()
    counts["cache_keys"] = cached + _forget_cached(cache, keys, launch_uuids)
    return counts


def held(session: Session, learner: Learner) -> dict[str, int]:
    """How many rows of each kind are held about the learner (0 everywhere after an erase)."""
    return {
        model.__tablename__: session.scalar(
            select(func.count()).select_from(model).where(*_owned(model, learner))
        )
        for model in OWNED
    }
