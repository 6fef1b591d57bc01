"""Retention: what the tool keeps about launches only as long as it is useful.

A launch record (orm.LaunchRecord: who launched, with which roles, from which course and link, and
the service claims) is needed until it expires (LAUNCH_TTL_SECONDS, 12 h by default); after that it is
only an audit trail of who launched when. `purge` deletes the records that expired longer ago than
the retention period, and their Redis copies.

Nonces and OIDC states live only in Redis, written by pylti1p3 with a 24 h TTL, and a nonce is
deleted when its launch uses it, so Redis expires them by itself; `purge` also deletes any such key
that has no TTL (left by an older version or written by hand), which would otherwise stay forever.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lti_app.adapters.orm import LaunchRecord, utcnow

DEFAULT_RETENTION = "180d"
NONCE_KEYS = "lti1p3-*nonce-*"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"\s*(\d+)\s*([smhdw])\s*")


class RetentionError(ValueError):
    """A retention period that cannot be read."""


def parse_age(text: str) -> timedelta:
    """`180d`, `12h`, `30m`, `2w`, `90s`: a whole number and one unit."""
    match = _AGE.fullmatch(text or "")
    if match is None:
        raise RetentionError(
            f"cannot read the period {text!r}: write a whole number and a unit, e.g. 180d, 12h, 2w "
            "(units: s, m, h, d, w)"
        )
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


@dataclass(frozen=True)
class Purged:
    launches: int
    nonces: int
    cutoff: datetime


def purge(session: Session, cache: redis.Redis, older_than: timedelta, now: datetime | None = None) -> Purged:
    """Delete launch records that expired before `now - older_than`, and TTL-less nonces."""
    cutoff = (now or utcnow()) - older_than
    ids = list(session.scalars(select(LaunchRecord.id).where(LaunchRecord.expires_at < cutoff)))
    for start in range(0, len(ids), 500):  # bounded statements and cache calls on large backlogs
        chunk = ids[start : start + 500]
        session.execute(delete(LaunchRecord).where(LaunchRecord.id.in_(chunk)))
        cache.delete(*[f"skarp:launch:{launch_id}" for launch_id in chunk])
    session.commit()
    nonces = 0
    for key in cache.scan_iter(match=NONCE_KEYS, count=1000):
        if cache.ttl(key) == -1:  # no expiry set (-2: already gone)
            nonces += cache.delete(key)
    return Purged(launches=len(ids), nonces=nonces, cutoff=cutoff)
