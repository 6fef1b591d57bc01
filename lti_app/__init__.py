"""Skarp's LTI 1.3 tool: Canvas and Moodle launch it for the diagnostic and the mock exam.

flask --app lti_app run            a development server
gunicorn 'lti_app:create_app()'    production (see deploy/)
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from courseware.packaged import templates_dir
from lti_app import cli, extensions, observability
from lti_app.config import settings_from_environment
from lti_app.web import (
    assessments,
    csrf,
    errors,
    filters,
    health,
    instructor,
    limits,
    link_settings,
    lti,
    pages,
    security,
    spaced,
)

TEMPLATES_DIR = templates_dir()


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(TEMPLATES_DIR / "static"),
    )
    app.config.update(settings_from_environment(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    extensions.init_app(app)  # database, Redis, course content: everything below may use them
    csrf.init_app(app)  # the launch-bound token in every form
    filters.register_filters(app)  # Markdown and percentages in templates
    security.init_app(app)
    observability.init_app(app)  # JSON logs with request ids, launch metrics
    errors.init_app(app)
    limits.init_app(app)
    for blueprint in (lti.bp, assessments.bp, instructor.bp, link_settings.bp, spaced.bp, pages.bp):
        app.register_blueprint(blueprint)
    cli.init_app(app)
    health.init_app(app)  # /healthz, /readyz, /metrics in front of everything
    return app
