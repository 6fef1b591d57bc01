"""JSON-lines logs: one object per line, with the request id and, once known, the platform and
deployment, so an operator can follow one learner's request across gunicorn workers and hosts.

What is never written: tokens (id_token, access tokens, client assertions, registration tokens),
query strings (login_hint, lti_message_hint, registration_token travel there), request bodies, and
the answer key. Requests are logged by their route (`/a/<launch_id>/...`), not their path, because a
launch id in a URL is the learner's capability for that launch. As a second line of defence, anything
that looks like a JWT or a bearer credential is masked in every message and field.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request
from werkzeug.wrappers import Response

APP_LOGGER = "lti_app"
REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
# "Bearer <anything token-like>"; "Basic <base64>" only with a digit in it (not "basic settings").
_BEARER = re.compile(
    r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}|\b(Basic)\s+(?=[A-Za-z0-9+/=]*\d)[A-Za-z0-9+/=]{8,}"
)
SECRET_FIELDS = re.compile(r"(?i)token|assertion|secret|password|authorization|cookie|answer_key")
REDACTED = "[redacted]"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_launch: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("launch", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is written out.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def mask(text: str) -> str:
    """Mask JWTs and bearer/basic credentials wherever they appear in a string."""
    return _BEARER.sub(lambda m: f"{m.group(1) or m.group(2)} {REDACTED}", _JWT.sub(REDACTED, text))


def _clean(name: str, value: Any) -> Any:
    if SECRET_FIELDS.search(name):
        return REDACTED
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {str(k): _clean(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(name, v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask(str(value))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, launch fields, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,
            "message": mask(record.getMessage()),
        }
        request_id = _request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update(_launch.get() or {})
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = _clean(name, value)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def bind_launch(ctx: Any) -> None:
    """Name the platform and deployment in every log line of this request (call once it is known)."""
    _launch.set({"platform_id": ctx.platform_id, "deployment_id": ctx.deployment_id})


def request_id() -> str | None:
    return _request_id.get()


def configure(level: str = "INFO", stream: Any = None) -> logging.Handler:
    """JSON lines on stderr for the tool's loggers (`lti_app.*`); idempotent (tests build many apps)."""
    logger = logging.getLogger(APP_LOGGER)
    for handler in list(logger.handlers):
        if isinstance(handler.formatter, JsonFormatter):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    return handler


def _begin() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    _request_id.set(offered if _WELL_FORMED_ID.fullmatch(offered) else uuid.uuid4().hex)
    _launch.set(None)
    g.request_started = time.perf_counter()


def _end(response: Response) -> Response:
    response.headers[REQUEST_ID_HEADER] = _request_id.get() or ""
    started = g.get("request_started")
    logging.getLogger(APP_LOGGER + ".requests").info(
        "%s %s %s",
        request.method,
        request.url_rule.rule if request.url_rule else "(no route)",
        response.status_code,
        extra={
            "event": "request",
            "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None,
            "endpoint": request.endpoint,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
        },
    )
    return response


def _forget(_exc: BaseException | None) -> None:
    _request_id.set(None)
    _launch.set(None)


def init_app(app: Flask) -> None:
    configure(app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL", "INFO"))
    app.before_request(_begin)
    app.after_request(_end)
    app.teardown_request(_forget)
