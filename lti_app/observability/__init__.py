"""Operations: structured logs with request ids, Prometheus metrics, the grade workers' heartbeat.

Nothing here changes what the tool does; it tells operators what it is doing. Every hook is written so
that a failure to observe (Redis down, a metrics directory missing) never fails a learner's request.
"""

from __future__ import annotations

from flask import Flask

from lti_app.observability import logs, metrics


def init_app(app: Flask) -> None:
    logs.init_app(app)
    metrics.init_app(app)
