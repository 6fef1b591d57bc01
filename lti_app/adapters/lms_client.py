"""The LMS over HTTP: OAuth2 tokens and LTI Advantage services (AGS), with timeouts everywhere.

Tokens (client_credentials with a private_key_jwt assertion) are cached in Redis per platform and
scope set until shortly before they expire, and requested by one process at a time (a Redis lock),
so a burst of grades costs one token, not one each. HTTP connections are reused per process, and
every request goes through the outbound guard (lti_app.adapters.outbound: addresses, size, timeouts)
and the platform's shared pace (lti_app.adapters.throttle: X-Rate-Limit-Remaining, 429).

Lists (NRPS memberships, AGS line items) are paged by Canvas and Moodle with an RFC 8288
`Link: <...>; rel="next"` header: `pages` follows it, on the first page's origin only and for a
bounded number of pages, and fails loudly past the bound rather than returning a silent part.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import jwt
import redis
import requests

from lti_app.adapters import outbound
from lti_app.adapters.orm import Platform, ToolKey
from lti_app.adapters.throttle import PlatformThrottle, Throttled
from lti_app.observability import metrics

CONNECT_TIMEOUT = 5.0
TOKEN_SAFETY_SECONDS = 60
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"
MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 100  # 10,000 members at PAGE_LIMIT: past this a list is refused, never cut short
PAGE_LIMIT = 100  # the page size asked for (NRPS and AGS `limit`); a platform may give fewer

TOKEN_MEMO_SECONDS = 30.0  # how long a process keeps a token without asking Redis again

_http = outbound.http
_tokens: dict[str, tuple[str, float]] = {}  # memo key -> (access token, monotonic expiry)


def _remember(memo_key: str, entry: dict[str, Any]) -> str:
    """Keep a token in this process until shortly before Redis would drop it (an entry cached by an
    older version has no expiry: then it is not kept here)."""
    left = float(entry.get("expires_at") or 0) - time.time()
    if left > 0:
        _tokens[memo_key] = (entry["access_token"], time.monotonic() + min(left, TOKEN_MEMO_SECONDS))
    return entry["access_token"]


@dataclass
class LmsError(Exception):
    """A failed call to the LMS; `retryable` says whether trying later can help."""

    message: str
    status: int | None = None
    retryable: bool = True
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"{self.status}: {self.message}" if self.status else self.message


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _platform_message(response: requests.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict):
            return str(body.get("error_description") or body.get("error") or body)[:500]
    except ValueError:
        pass
    return (response.text or response.reason or "")[:500]


def _check(response: requests.Response) -> requests.Response:
    if response.status_code < 400:
        return response
    retryable = response.status_code == 429 or response.status_code >= 500
    raise LmsError(_platform_message(response), response.status_code, retryable, _retry_after(response))


class LmsClient:
    """One platform's services, authenticated as the tool."""

    def __init__(
        self,
        platform: Platform,
        key: ToolKey,
        cache: redis.Redis,
        *,
        timeout: float = 15.0,
        http: requests.Session = _http,
    ):
        self.timeout = (min(CONNECT_TIMEOUT, timeout), timeout)  # every request has one
        self.platform = platform
        self.key = key
        self.cache = cache
        self.http = http
        self.throttle = PlatformThrottle(cache, platform.id)

    # --- tokens ---------------------------------------------------------------------------------

    def _token_key(self, scopes: tuple[str, ...]) -> str:
        digest = hashlib.sha256(" ".join(sorted(scopes)).encode()).hexdigest()[:16]
        return f"skarp:lms-token:{self.platform.id}:{digest}"

    def token(self, scopes: tuple[str, ...]) -> str:
        """The platform's access token for `scopes`: from this process's memory (a few seconds'
        worth, so a burst of grades costs no Redis round trip each), else Redis, else one request."""
        key = self._token_key(scopes)
        memo_key = f"{key} {self.platform.auth_token_url}"
        remembered = _tokens.get(memo_key)
        if remembered and remembered[1] > time.monotonic():
            return remembered[0]
        cached = self.cache.get(key)
        if cached:
            return _remember(memo_key, json.loads(cached))
        with self.cache.lock(key + ":lock", timeout=30, blocking_timeout=30):
            cached = self.cache.get(key)  # another worker may have fetched it while we waited
            if cached:
                return _remember(memo_key, json.loads(cached))
            token, expires_in = self._request_token(scopes)
            ttl = max(1, int(expires_in) - TOKEN_SAFETY_SECONDS)
            entry = {"access_token": token, "expires_at": time.time() + ttl}
            self.cache.set(key, json.dumps(entry), ex=ttl)
            return _remember(memo_key, entry)

    def _wait_turn(self) -> None:
        """This platform's shared pace (adapters.throttle); a long wait gives the work back."""
        try:
            self.throttle.before()
        except Throttled as pause:
            raise LmsError(str(pause), retry_after=pause.seconds) from None

    def forget_token(self, scopes: tuple[str, ...]) -> None:
        key = self._token_key(scopes)
        _tokens.pop(f"{key} {self.platform.auth_token_url}", None)
        self.cache.delete(key)

    def _request_token(self, scopes: tuple[str, ...]) -> tuple[str, int]:
        metrics.token_requested()
        now = int(time.time())
        audience = self.platform.auth_audience or self.platform.auth_token_url
        assertion = jwt.encode(
            {
                "iss": self.platform.client_id,
                "sub": self.platform.client_id,
                "aud": audience,
                "iat": now,
                "exp": now + 300,
                "jti": uuid.uuid4().hex,
            },
            self.key.private_pem,
            algorithm="RS256",
            headers={"kid": self.key.kid},
        )
        self._wait_turn()
        try:
            response = self.http.post(
                self.platform.auth_token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    "client_assertion": assertion,
                    "scope": " ".join(scopes),
                },
                timeout=self.timeout,
            )
        except requests.RequestException as error:
            raise LmsError(f"token request failed: {error}") from None
        metrics.lms_responded("token", response.status_code)
        self.throttle.after(response)
        body = _check(response).json()
        return body["access_token"], int(body.get("expires_in", 3600))

    # --- calls -----------------------------------------------------------------------------------

    def call(
        self, method: str, url: str, scopes: tuple[str, ...], *, accept: str, **kwargs: Any
    ) -> requests.Response:
        """An authenticated call; a 401 means the cached token died early: one retry with a new one."""
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.token(scopes)}", "Accept": accept}
            headers.update(kwargs.pop("headers", {}))
            self._wait_turn()
            try:
                response = self.http.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
            except requests.RequestException as error:
                raise LmsError(f"{method} {url} failed: {error}") from None
            metrics.lms_responded("service", response.status_code)
            self.throttle.after(response)
            if response.status_code == 401 and attempt == 1:
                self.forget_token(scopes)
                continue
            return _check(response)
        raise AssertionError("unreachable")

    def pages(
        self,
        url: str,
        scopes: tuple[str, ...],
        *,
        accept: str,
        params: dict[str, Any] | None = None,
        max_pages: int = MAX_PAGES,
    ) -> Iterator[requests.Response]:
        """Every page of a list, lazily: the first from `url` (with `params` and a `limit` unless the
        URL has one), then each `rel="next"` as the platform gives it (its query already carries the
        filters). A next link to another origin, a loop, or more than `max_pages` pages is an LmsError
        that names it: a roster or gradebook must never be silently partial."""
        origin = _origin(url)
        query = dict(params or {})
        if "limit" not in dict(parse_qsl(urlsplit(url).query)):
            query.setdefault("limit", PAGE_LIMIT)
        response = self.call("GET", url, scopes, accept=accept, params=query)
        seen = {response.url}
        for count in range(1, max_pages + 1):
            yield response
            following = (response.links.get("next") or {}).get("url")
            if not following:
                return
            following = urljoin(response.url, following)  # RFC 8288: relative to the page it came on
            if count == max_pages:
                break
            if _origin(following) != origin:
                raise LmsError(
                    f"the next page {following[:200]} is not on {origin[0]}://{origin[1]}:{origin[2]}, "
                    "where the list started; refused",
                    retryable=False,
                )
            if following in seen:
                loop = f"the next page {following[:200]} was already read: the list loops"
                raise LmsError(loop, retryable=False)
            seen.add(following)
            response = self.call("GET", following, scopes, accept=accept)
        raise LmsError(
            f"{url}: the list goes on past {max_pages} pages (the limit); not read as a partial list",
            retryable=False,
        )

    def memberships(self, url: str, scopes: tuple[str, ...]) -> dict[str, Any]:
        """An NRPS membership container with the members of every page (the first page's context)."""
        merged: dict[str, Any] = {}
        members: list[Any] = []
        for response in self.pages(url, scopes, accept=MEMBERSHIPS):
            body = response.json()
            if not isinstance(body, dict):
                raise LmsError(f"{response.url}: the memberships page is not a JSON object", retryable=False)
            merged = merged or body
            if isinstance(body.get("members"), list):
                members.extend(body["members"])
        return {**merged, "members": members}


def _origin(url: str) -> tuple[str, str, int]:
    """RFC 6454 origin: scheme, lower-case host, port (the scheme's default when absent)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise LmsError(f"{url}: not a valid URL", retryable=False) from None
    return scheme, (parts.hostname or "").rstrip(".").lower(), port


def service_url(base: str, suffix: str) -> str:
    """`{lineitem}/scores` keeping the line item URL's query string where it belongs."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))
