"""The tool's own pages outside a launch: a landing page pointing LMS admins to /lti/config, the favicon.
(/healthz, /readyz and /metrics are answered in front of Flask: lti_app/web/health.py.)"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return redirect(url_for("lti.config_page"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on pages that name no icon (a JSON page, an error from the WSGI
    server): the tool's icon, not a 404 in the log."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)
