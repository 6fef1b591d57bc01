"""The cached list of registered platforms' origins (Redis).

The CSP header of every page lists the platforms' origins, so the list is cached briefly in Redis.
Whatever adds, changes or removes a platform (the CLI, Dynamic Registration, a test) does it through
a database session; the registry's listener on the session factory (adapters.registry.watch) drops
the cached list once such a transaction commits, so no use case has to remember it.
"""

from __future__ import annotations

import json

import redis

CACHE_KEY = "skarp:platform-origins"
CACHE_SECONDS = 60


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
