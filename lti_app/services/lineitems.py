"""A resource link's gradebook column (AGS line item): found or created once, then remembered.

Every grade of a link goes to the same line item, so it is looked up once (paging through the
platform's line items, filtered by resource link and tag) or created, then kept in Redis for a day
for every worker, and for a minute in this process too (a Redis round trip saved per grade). One
worker at a time finds or creates it (a Redis lock), so two workers never create two columns.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis

from lti_app.adapters.lms_client import CONNECT_TIMEOUT, LINEITEM, LINEITEMS, LmsClient, LmsError
from lti_app.adapters.orm import GradeDelivery
from lti_app.lti.claims import AGS_SCOPES as AGS
from lti_app.lti.claims import AGS_SCORE_SCOPE

SCOPES = (AGS + "lineitem", AGS + "lineitem.readonly", AGS + "result.readonly", AGS_SCORE_SCOPE)
LINEITEM_PAGES = 10  # line item pages read to find a link's column (1,000 columns at 100 a page)
# find or create a line item: each page and the POST maybe twice (401), plus up to two token requests
LINEITEM_CALLS = 2 * (LINEITEM_PAGES + 1) + 2
MEMO_SECONDS = 60.0

log = logging.getLogger("lti_app.worker")
_memo: dict[str, tuple[str, float]] = {}  # Redis key -> (line item URL, monotonic expiry)


def forget() -> None:
    """Drop this process's memory of line items (tests that empty Redis between cases)."""
    _memo.clear()


def lock_seconds(timeout: float) -> float:
    """How long the line item lock may be held: the slowest find-or-create chain (LINEITEM_CALLS
    requests, each up to its connect and read timeouts), with a margin."""
    return LINEITEM_CALLS * (min(CONNECT_TIMEOUT, timeout) + timeout) + 5.0


def lineitem_for_link(client: LmsClient, cache: redis.Redis, delivery: GradeDelivery, timeout: float) -> str:
    """The link's line item, looked up once and then remembered (one GET saved per grade); one
    worker at a time finds or creates it, so two workers never create two columns.

    The lock outlasts the slowest call chain. If it is lost anyway (Redis flushed or restarted),
    the work done under it still counts: losing it on release is logged, never raised."""
    key = f"skarp:lineitem:{delivery.platform_id}:{delivery.resource_link_id}"
    memo_key = f"{key} {delivery.lineitems_url}"  # another LMS or course under the same ids: not this one
    remembered = _memo.get(memo_key)
    if remembered and remembered[1] > time.monotonic():
        return remembered[0]
    cached = cache.get(key)
    if cached:
        _memo[memo_key] = (cached.decode(), time.monotonic() + MEMO_SECONDS)
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
        _memo[memo_key] = (url, time.monotonic() + MEMO_SECONDS)
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
