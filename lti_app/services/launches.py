"""A validated launch as the rest of the tool sees it: who, in which course and link, doing what.

Built from the launch's LaunchClaims (checked and shortened to fit every column, lti_app/lti/claims.py),
never from the raw token. Kept in the database (so a reload works after a Redis flush or a restart) and
cached in Redis, zlib-compressed: every active learner has one, so its size is the tool's Redis memory
per learner (about 0.8 KB instead of 1.9 KB of JSON).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis
from sqlalchemy import insert
from sqlalchemy.orm import Session

from lti_app.adapters.orm import LaunchRecord, utcnow
from lti_app.lti.claims import AGS, LTI, LaunchClaims, shorten
from lti_app.lti.roles import grants_instructor_view


@dataclass(frozen=True)
class LaunchContext:
    launch_id: str
    platform_id: int
    deployment_id: str
    user_sub: str
    user_name: str
    roles: list[str]
    context_id: str
    context_title: str
    resource_link_id: str
    assessment_id: str
    message_type: str
    claims: dict[str, Any] = field(default_factory=dict)

    @property
    def is_staff(self) -> bool:
        """Staff of this course (context roles only: see lti_app.lti.roles) get the instructor view."""
        return grants_instructor_view(self.roles)

    @property
    def custom(self) -> dict[str, Any]:
        return self.claims.get(LTI + "custom") or {}

    def attempt_owner(self) -> dict[str, Any]:
        """The columns of an attempt made in this launch that say whose it is and where its grade goes
        (start_attempt, and the spaced review's completion record)."""
        return {
            "platform_id": self.platform_id,
            "deployment_id": self.deployment_id,
            "context_id": self.context_id,
            "resource_link_id": self.resource_link_id,
            "user_sub": self.user_sub,
            "user_name": self.user_name,
            "resource_link_title": (self.claims.get(LTI + "resource_link") or {}).get("title") or "",
            "gradebook": self.claims.get(AGS),
        }


def assessment_of(claims: LaunchClaims, known: set[str], default: str) -> str:
    """The assessment a link opens: its custom `assessment` parameter, else ?assessment= in its URL."""
    custom = (claims.custom or {}).get("assessment")
    if isinstance(custom, str) and custom in known:
        return custom
    query = parse_qs(urlsplit(claims.target_link_uri or "").query)
    from_url = (query.get("assessment") or [""])[0]
    return from_url if from_url in known else default


def _cache_key(launch_id: str) -> str:
    return f"skarp:launch:{launch_id}"


def _display_name(claims: LaunchClaims) -> str:
    name = claims.name or " ".join(filter(None, [claims.given_name, claims.family_name]))
    return shorten(name or claims.email or claims.sub or "")


_INSERT_LAUNCH = insert(LaunchRecord.__table__)  # built once: a launch is the busiest write there is


def record_launch(
    session: Session,
    *,
    launch_id: str,
    platform_id: int,
    claims: LaunchClaims,
    assessment_id: str,
    ttl_seconds: int,
) -> LaunchContext:
    """The launch, written in the session's transaction: the caller's unit of work commits it, then
    caches it. One INSERT, without the ORM's unit of work (a launch record is never changed after)."""
    course, link = claims.context, claims.resource_link
    context = LaunchContext(
        launch_id=launch_id,
        platform_id=platform_id,
        deployment_id=claims.deployment_id,
        user_sub=claims.sub,
        user_name=_display_name(claims),
        roles=list(claims.roles or []),
        context_id=(course.id if course else None) or "",
        context_title=(course.title if course else None) or "",
        resource_link_id=(link.id if link else None) or "",
        assessment_id=assessment_id,
        message_type=claims.message_type,
        claims=claims.stored(),
    )
    now = utcnow()
    values = asdict(context)
    values["id"] = values.pop("launch_id")
    session.execute(
        _INSERT_LAUNCH, values | {"created_at": now, "expires_at": now + timedelta(seconds=ttl_seconds)}
    )
    return context


def cache_launch(cache: redis.Redis, context: LaunchContext, ttl_seconds: int) -> None:
    """Once the launch is committed: later pages find it in Redis (or, after a flush, the database)."""
    cache.set(_cache_key(context.launch_id), _pack(context), ex=ttl_seconds)


def _pack(context: LaunchContext) -> bytes:
    return zlib.compress(json.dumps(asdict(context), separators=(",", ":")).encode(), 6)


def _unpack(raw: bytes) -> LaunchContext:
    text = raw if raw.startswith(b"{") else zlib.decompress(raw)  # plain JSON: cached before compression
    return LaunchContext(**json.loads(text))


def load_launch(session: Session, cache: redis.Redis, launch_id: str) -> LaunchContext | None:
    """The launch, from Redis or else the database; None if unknown or expired."""
    cached = cache.get(_cache_key(launch_id))
    if cached is not None:
        return _unpack(cached)
    record = session.get(LaunchRecord, launch_id)
    if record is None or record.expires_at <= utcnow():
        return None
    context = _context(record)
    remaining = int((record.expires_at - utcnow()).total_seconds())
    cache.set(_cache_key(launch_id), _pack(context), ex=max(remaining, 1))
    return context


def _context(record: LaunchRecord) -> LaunchContext:
    return LaunchContext(
        launch_id=record.id,
        platform_id=record.platform_id,
        deployment_id=record.deployment_id,
        user_sub=record.user_sub,
        user_name=record.user_name,
        roles=list(record.roles),
        context_id=record.context_id,
        context_title=record.context_title,
        resource_link_id=record.resource_link_id,
        assessment_id=record.assessment_id,
        message_type=record.message_type,
        claims=dict(record.claims),
    )
