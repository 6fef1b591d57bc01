"""CSRF protection bound to the launch, not to a cookie.

Inside an LMS iframe most browsers now block third-party cookies, so the tool keeps no cookie
session after the launch: each page carries its launch id in the URL (an unguessable capability,
never sent on as a Referer), and each form carries a token derived from that launch id with the
app's secret. A forged cross-site form cannot know either. Requests that announce a foreign
Origin are refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Flask, current_app, request

from lti_app.errors import CsrfError

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"


def token_for(launch_id: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"csrf|{launch_id}".encode(), hashlib.sha256).hexdigest()


def csrf_token() -> str:
    """For templates: the token of the launch in this request's URL."""
    return token_for((request.view_args or {}).get("launch_id", ""))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def protect() -> None:
    """Before every state-changing request of a launch's pages."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    launch_id = (request.view_args or {}).get("launch_id", "")
    sent = request.form.get(FIELD) or request.headers.get(HEADER, "")
    origin = request.headers.get("Origin")
    if origin and origin != "null" and origin != _origin(current_app.config["TOOL_BASE_URL"]):
        raise CsrfError(
            "This form was sent from another site", f"Origin {origin} is not this tool", status=403
        )
    if not launch_id or not hmac.compare_digest(sent, token_for(launch_id)):
        raise CsrfError(
            "This page has expired",
            "the form's security token is missing or does not match this launch.",
            "Reload the page and try again: your saved answers are kept.",
            status=400,
        )


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
