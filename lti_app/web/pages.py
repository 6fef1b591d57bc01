"""The tool's own pages outside a launch: a landing page pointing LMS admins to /lti/config."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for

bp = Blueprint("pages", __name__)


@bp.get("/")
def index():
    return redirect(url_for("lti.config_page"))


@bp.get("/healthz")
def health():
    return {"status": "ok"}
