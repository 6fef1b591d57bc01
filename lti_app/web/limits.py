"""Request bodies are bounded by MAX_CONTENT_LENGTH (lti_app/config.py), whatever their framing.

With a Content-Length, Werkzeug refuses a larger body (413) before reading it. A chunked body has no length
to check up front, and Werkzeug then stops reading at the limit *silently*: a form would be parsed from
the first MiB as if that were all. So a chunked body is read here, at most one byte past the limit: larger
is a 413 like any other; otherwise it is handed on with its length known. Nothing is ever spooled to disk.
"""

from __future__ import annotations

import io

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge


def _bound_chunked_body() -> None:
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        return
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is None or not environ.get("wsgi.input_terminated"):
        return  # no limit, or a server that cannot end the stream (Werkzeug then reads nothing)
    body = environ["wsgi.input"].read(limit + 1)
    if len(body) > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))


def init_app(app: Flask) -> None:
    app.before_request(_bound_chunked_body)
