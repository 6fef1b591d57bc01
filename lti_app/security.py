"""Security headers on every response.

CSP allows framing only by the registered platforms (frame-ancestors), scripts and styles only from
the tool itself (plus per-response hashes for pylti1p3's inline cookie check), and posting forms
back to those platforms (deep linking responses). Tool pages are never cached: they show attempts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from flask import Flask, Response, g
from sqlalchemy import select

from lti_app.adapters.db import db
from lti_app.adapters.orm import Platform
from lti_app.adapters.redis_store import store

ORIGINS_CACHE_KEY = "skarp:platform-origins"
_INLINE_SCRIPT = re.compile(rb"<script[^>]*>(.*?)</script>", re.DOTALL)


def platform_origins() -> list[str]:
    """Origins of every registered LMS (cached briefly: read on every response)."""
    cached = store().get(ORIGINS_CACHE_KEY)
    if cached is not None:
        return json.loads(cached)
    origins = sorted({p.origin for p in db().scalars(select(Platform))})
    store().set(ORIGINS_CACHE_KEY, json.dumps(origins), ex=60)
    return origins


def forget_platform_origins() -> None:
    store().delete(ORIGINS_CACHE_KEY)


def allow_inline_scripts_of(response: Response) -> Response:
    """Let this response's own inline scripts run by hash, and its inline styles: pylti1p3's cookie
    check page is built that way, and only this one response gets the exception."""
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
        for body in _INLINE_SCRIPT.findall(response.get_data())
    ]
    g.script_hashes = hashes
    g.inline_styles = bool(hashes)
    return response


def _csp() -> str:
    origins = " ".join(platform_origins())
    scripts = " ".join(["'self'", *getattr(g, "script_hashes", [])])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'" if getattr(g, "inline_styles", False) else "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {origins}".strip(),
            f"frame-ancestors 'self' {origins}".strip(),
        ]
    )


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _csp()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # launch ids travel in URLs
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_headers)
