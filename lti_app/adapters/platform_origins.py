"""The cached list of registered platforms' origins (Redis), and its invalidation on commit.

The CSP header of every response lists the platforms' origins, so the list is cached briefly in
Redis. Whatever adds, changes or removes a platform (the CLI, Dynamic Registration, a test) does it
through a database session; a listener on the session factory drops the cached list once such a
transaction commits. The invalidation lives here, at the edge, so no use case has to remember it and
no service has to reach for Flask to find Redis.
"""

from __future__ import annotations

import json

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from lti_app.adapters.orm import Deployment, Platform

CACHE_KEY = "skarp:platform-origins"
CACHE_SECONDS = 60
_CHANGED = "skarp_platforms_changed"


def cached(cache: redis.Redis) -> list[str] | None:
    """The cached list as it is in Redis (the caller checks each origin again), or None."""
    raw = cache.get(CACHE_KEY)
    if raw is None:
        return None
    try:
        origins = json.loads(raw)
    except ValueError:
        return None
    return origins if isinstance(origins, list) else None


def remember(cache: redis.Redis, origins: list[str]) -> None:
    cache.set(CACHE_KEY, json.dumps(origins), ex=CACHE_SECONDS)


def forget(cache: redis.Redis) -> None:
    cache.delete(CACHE_KEY)


def forget_on_change(factory: sessionmaker, cache: redis.Redis) -> None:
    """Drop the cached list after every commit of a session from `factory` that touched a platform."""

    @event.listens_for(factory, "after_flush")
    def _note(session: Session, _context: object) -> None:
        touched = (*session.new, *session.dirty, *session.deleted)
        if any(isinstance(obj, Platform | Deployment) for obj in touched):
            session.info[_CHANGED] = True

    @event.listens_for(factory, "after_commit")
    def _forget(session: Session) -> None:
        if session.info.pop(_CHANGED, False):
            forget(cache)

    @event.listens_for(factory, "after_rollback")
    def _discard(session: Session) -> None:
        session.info.pop(_CHANGED, None)
