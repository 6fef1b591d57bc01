"""A per-platform rate limiter shared by every process through Redis.

Canvas throttles each access token with a leaky bucket (700 units by default) and reports what is
left in `X-Rate-Limit-Remaining` on every API answer; when the bucket runs dry it answers 403 (or
429) "Rate Limit Exceeded". Moodle has no such header but may answer 429 behind a proxy. Many grade
workers (threads and processes, possibly on several machines) post to the same platform, so the
pace must be shared: two Redis keys per platform, the next free instant (epoch milliseconds) and the
current spacing between requests. Each sender claims the next slot atomically (a Lua script), so
senders queue one spacing apart instead of bursting together when a pause ends.

- `X-Rate-Limit-Remaining` below the low-water mark sets a spacing, longer the closer the bucket is
  to empty, so senders slow down *before* the LMS refuses anything; it decays when answers stop
  reporting a low bucket (the key expires);
- a 429 (or Canvas's 403 "Rate Limit Exceeded") moves the next free instant to Retry-After
  (default 1 s) for everyone;
- a sender whose slot is further off than `MAX_WAIT_SECONDS` does not hold its thread: it gets
  `Throttled` and the grade is rescheduled.

The limiter is advisory: if Redis fails, requests go out unthrottled (the LMS's own 429 still
bounds them) and the failure is logged, never raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
import requests

LOW_WATER = 300.0  # units left in the platform's bucket below which senders space out
MAX_SPACING_SECONDS = 2.0  # the pause when the bucket is empty (linear from LOW_WATER down to 0)
DEFAULT_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 600.0
MAX_WAIT_SECONDS = 5.0  # longer waits give the grade back to the queue instead of holding a thread

log = logging.getLogger(__name__)

SPACING_MEMORY_MS = 10_000  # a low-bucket spacing lapses if no answer renews it for this long

# Claim the next slot: max(now, next free); the slot after it is one spacing later. A slot further
# off than the longest wait is not claimed (the caller gives its grade back to the queue).
_CLAIM = """
local now = tonumber(ARGV[1])
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
local gap = tonumber(redis.call('GET', KEYS[2]) or '0')
local slot = math.max(now, nxt)
if slot - now > tonumber(ARGV[2]) then return slot end
if gap > 0 or slot > now then
  redis.call('SET', KEYS[1], slot + gap, 'PX', slot + gap - now + 1000)
end
return slot
"""

# Push the next free instant forward (never back: two senders may report a 429 at once).
_PUSH = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 0
"""


class Throttled(Exception):
    """The platform asked us to wait longer than a sender should block; try again after `seconds`."""

    def __init__(self, seconds: float):
        super().__init__(f"the LMS asked to slow down; next request in {seconds:.1f} s")
        self.seconds = seconds


def _rate_limited(response: requests.Response) -> bool:
    if response.status_code == 429:
        return True
    # Canvas answers 403 with this text when the bucket is empty (its API docs, "Throttling").
    return response.status_code == 403 and "rate limit exceeded" in (response.text or "")[:200].lower()


def _retry_after(response: requests.Response) -> float:
    value = (response.headers.get("Retry-After") or "").strip()
    try:
        seconds = float(value)
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    return min(MAX_RETRY_AFTER, max(0.0, seconds)) or DEFAULT_RETRY_AFTER


def spacing(remaining: float) -> float:
    """Seconds between requests for a bucket with `remaining` units: 0 above the low-water mark,
    rising linearly to MAX_SPACING_SECONDS at empty."""
    if remaining >= LOW_WATER:
        return 0.0
    return MAX_SPACING_SECONDS * (1.0 - max(0.0, remaining) / LOW_WATER)


class PlatformThrottle:
    """The shared pace of one platform: `before()` each request, `after(response)` each answer."""

    def __init__(
        self,
        cache: redis.Redis,
        platform_id: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.cache = cache
        self.next_key = f"skarp:throttle:{platform_id}:next"
        self.spacing_key = f"skarp:throttle:{platform_id}:spacing"
        self.clock, self.sleep = clock, sleep

    def before(self) -> None:
        """Wait for this request's slot; raise Throttled if it is too far off."""
        now = int(self.clock() * 1000)
        try:
            slot = int(
                self.cache.eval(_CLAIM, 2, self.next_key, self.spacing_key, now, int(MAX_WAIT_SECONDS * 1000))
            )
        except redis.RedisError as error:
            log.warning("rate limiter unavailable (%s); sending unthrottled", error)
            return
        wait = (slot - now) / 1000.0
        if wait > MAX_WAIT_SECONDS:
            raise Throttled(wait)
        if wait > 0:
            self.sleep(wait)

    def after(self, response: requests.Response) -> None:
        """Learn from an answer: a refusal pauses everyone, a low bucket spaces requests out."""
        try:
            if _rate_limited(response):
                seconds = _retry_after(response)
                until = int((self.clock() + seconds) * 1000)
                self.cache.eval(_PUSH, 1, self.next_key, until, int(seconds * 1000) + 1000)
                return
            header = response.headers.get("X-Rate-Limit-Remaining")
            if header is None:
                return
            try:
                gap = spacing(float(header))
            except ValueError:
                return
            if gap > 0:
                self.cache.set(self.spacing_key, int(gap * 1000), px=SPACING_MEMORY_MS)
            else:
                self.cache.delete(self.spacing_key)
        except redis.RedisError as error:
            log.warning("rate limiter unavailable (%s); not shared", error)
