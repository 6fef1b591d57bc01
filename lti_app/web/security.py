"""Security headers on every response.

CSP allows framing only by the registered platforms (frame-ancestors), scripts and styles only from
the tool itself (plus per-response hashes for pylti1p3's inline cookie check), and posting forms
back to those platforms (deep linking responses). Tool pages are never cached: they show attempts.

The platforms' origins come from the database (services.platforms.platform_origins), and a header
must never break a response: each origin is normalised again there (IDNA hosts, https, no wildcard,
see services.platform_urls) and checked against a strict pattern; a value that fails is left out of
the header and logged, and the tool keeps serving. In production, HSTS tells browsers to use https
only (one year; without includeSubDomains, which would bind every other site of the operator's domain
too).
"""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, current_app, g
from flask.sessions import SessionInterface

from lti_app.adapters.db import db
from lti_app.adapters.redis_store import store
from lti_app.services.platforms import platform_origins

HSTS = "max-age=31536000"
_INLINE_SCRIPT = re.compile(rb"<script[^>]*>(.*?)</script>", re.DOTALL)


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
    allow_http = not current_app.config.get("PRODUCTION", False)
    origins = " ".join(platform_origins(db(), store(), allow_http_loopback=allow_http))
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


#: Responses no browser renders as a page: a redirect (its body is never shown) and JSON (read by the
#: tool's own scripts). They need no list of platform origins, so the busiest requests (the launch's
#: two redirects, every answer save) skip looking it up. A redirect names no frame-ancestors, so no
#: browser can refuse it inside the LMS frame; the page it leads to carries the full policy.
REDIRECT_CSP = "default-src 'none'; base-uri 'none'"
JSON_CSP = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'"


def _policy(response: Response) -> str:
    if 300 <= response.status_code < 400:
        return REDIRECT_CSP
    if response.mimetype == "application/json":
        return JSON_CSP
    return _csp()


def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = _policy(response)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # launch ids travel in URLs
    response.headers.setdefault("Cache-Control", "no-store")
    if current_app.config.get("PRODUCTION"):
        response.headers["Strict-Transport-Security"] = HSTS
    return response


class NoCookieSession(SessionInterface):
    """The tool keeps no cookie session (lti_app/extensions.py): the launch id in each page's URL is
    the session. Flask's default would still build a signing serializer on every request, and a
    stray write to flask.session fails loudly instead of setting a cookie the LMS frame may drop."""

    def open_session(self, app: Flask, request):
        return self.make_null_session(app)

    def save_session(self, app: Flask, session, response: Response) -> None:
        return None


def init_app(app: Flask) -> None:
    app.session_interface = NoCookieSession()
    app.after_request(_headers)
