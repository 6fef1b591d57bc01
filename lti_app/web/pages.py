"""The tool's own pages outside a launch: a landing page pointing LMS admins to /lti/config.
(/healthz, /readyz and /metrics are answered in front of Flask: lti_app/web/health.py.)"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return redirect(url_for("lti.config_page"))
