"""The grade workers' liveness, in Redis: each worker loop records "I was here at T" in one sorted set.

`/readyz` and `/metrics` count the workers seen within the last HEARTBEAT_TTL_SECONDS. The set itself
carries that TTL too, so when every worker is gone (or Redis was flushed) it simply disappears. The
TTL is longer than a worker's slowest round (a batch of deliveries to a slow LMS) so that a busy
worker never looks dead; a worker that stops gracefully is gone at its next missed beat.
"""

from __future__ import annotations

import logging
import time

import redis

KEY = "skarp:workers:heartbeat"
HEARTBEAT_TTL_SECONDS = 300

log = logging.getLogger(__name__)


def beat(cache: redis.Redis, worker: str, ttl: int = HEARTBEAT_TTL_SECONDS) -> bool:
    """Record this worker's heartbeat; never raises (a Redis outage must not stop the worker)."""
    now = time.time()
    try:
        pipe = cache.pipeline(transaction=True)
        pipe.zadd(KEY, {worker: now})
        pipe.zremrangebyscore(KEY, "-inf", now - ttl)
        pipe.expire(KEY, ttl)
        pipe.execute()
    except redis.RedisError as error:
        log.warning("heartbeat not recorded: %s", error, extra={"event": "heartbeat", "worker": worker})
        return False
    return True


def alive(cache: redis.Redis, ttl: int = HEARTBEAT_TTL_SECONDS) -> list[str]:
    """Workers whose last beat is within the TTL (raises redis.RedisError if Redis is unreachable)."""
    return [name.decode() for name in cache.zrangebyscore(KEY, time.time() - ttl, "+inf")]
