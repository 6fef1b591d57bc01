"""Fault injection for the token/AGS/NRPS endpoints, and the log of every service request.

The fault setting lives in the database (one row) and is consumed with atomic UPDATEs, so "fail the next
3 requests" means exactly 3 even with several server threads or processes.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError

from .db import db
from .models import FaultState, ServiceRequest, utcnow

bp = Blueprint("faults", __name__)

MODES = ("none", "error500", "rate_limit", "timeout", "drop", "reject400")
TARGETS = ("all", "token", "ags", "nrps")
FAULTABLE = ("token", "ags", "nrps")


def service_kind(path: str) -> str | None:
    """Which service a path belongs to (None: not a service request, so neither logged nor faulted)."""
    if path == "/token":
        return "token"
    if path == "/register":
        return "register"
    if path.startswith("/api/courses/"):
        return "nrps" if path.rstrip("/").endswith("/memberships") else "ags"
    return None


@dataclass(frozen=True)
class ActiveFault:
    mode: str
    retry_after: int
    delay: float


def _take_fault(kind: str) -> ActiveFault | None:
    """Consume one use of the active fault if it applies to ``kind``; None when there is nothing to do."""
    session = db()
    row = session.get(FaultState, 1)
    if row is None or row.mode == "none" or row.target not in ("all", kind):
        return None
    if row.until is not None and utcnow() >= row.until:
        return None
    guard = [FaultState.id == 1, FaultState.mode == row.mode]
    if row.remaining is not None:
        guard.append(FaultState.remaining > 0)
    values: dict[str, Any] = {"applied": FaultState.applied + 1}
    if row.remaining is not None:
        values["remaining"] = FaultState.remaining - 1
    taken = session.execute(update(FaultState).where(*guard).values(**values)).rowcount  # type: ignore[attr-defined]
    fault = ActiveFault(row.mode, row.retry_after, row.delay)
    session.commit()
    return fault if taken == 1 else None


def _drop_connection() -> Response:
    """Close the connection with no response; a test client has no socket, so it gets an empty 502."""
    sock = request.environ.get("werkzeug.socket") or request.environ.get("gunicorn.socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
    return Response(b"", status=502, headers={"X-Sandbox-Fault": "drop"})


def _fault_response(fault: ActiveFault) -> Response | None:
    description = f"sandbox fault injection: {fault.mode}"
    if fault.mode == "error500":
        return _error(500, "server_error", description)
    if fault.mode == "reject400":
        return _error(400, "invalid_request", description)
    if fault.mode == "rate_limit":
        response = _error(429, "rate_limited", description)
        response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.mode == "drop":
        return _drop_connection()
    time.sleep(fault.delay)  # "timeout": answer normally, but late
    return None


def _error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    return response


def before_service_request() -> Response | None:
    kind = service_kind(request.path)
    g.sandbox_started = time.perf_counter()
    g.sandbox_fault = None
    if kind not in FAULTABLE:
        return None
    fault = _take_fault(kind)
    if fault is None:
        return None
    g.sandbox_fault = fault.mode
    return _fault_response(fault)


def after_service_request(response: Response) -> Response:
    """Log the request in the database, on a clean transaction whatever the view left behind."""
    kind = service_kind(request.path)
    if kind is None:
        return response
    fault = g.get("sandbox_fault")
    started = g.get("sandbox_started", time.perf_counter())
    entry = ServiceRequest(
        method=request.method,
        path=request.full_path.rstrip("?"),
        kind=kind,
        status=0 if fault == "drop" else response.status_code,
        client_id=g.get("sandbox_client_id"),
        fault=fault,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    session = db()
    try:
        session.rollback()
        session.add(entry)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
    return response


def install(app: Flask) -> None:
    app.before_request(before_service_request)
    app.after_request(after_service_request)


def _number(body: dict[str, Any], name: str, default: float | None, minimum: float) -> float | None:
    value = body.get(name, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"{name} must be a number of at least {minimum}")
    return value


def _fault_setting(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("mode") not in MODES:
        raise ValueError("mode must be one of " + ", ".join(MODES))
    target = body.get("target", "all")
    if target not in TARGETS:
        raise ValueError("target must be one of " + ", ".join(TARGETS))
    count = _number(body, "count", None, 1)
    if count is not None and int(count) != count:
        raise ValueError("count must be a whole number")
    seconds = _number(body, "seconds", None, 0.001)
    return {
        "mode": body["mode"],
        "target": target,
        "remaining": None if count is None else int(count),
        "until": None if seconds is None else utcnow() + timedelta(seconds=seconds),
        "retry_after": int(_number(body, "retry_after", 1, 0) or 0),
        "delay": float(_number(body, "delay", 10, 0) or 0),
        "applied": 0,
    }


@bp.post("/sandbox/faults")
def set_fault() -> tuple[Response, int]:
    """{"mode", "count" (next N requests), "seconds" (for T seconds), "retry_after", "delay", "target"}."""
    try:
        setting = _fault_setting(request.get_json(silent=True))
    except ValueError as error:
        return jsonify({"error": "invalid_request", "error_description": str(error)}), 400
    session = db()
    row = session.get(FaultState, 1) or FaultState(id=1)
    for name, value in setting.items():
        setattr(row, name, value)
    session.add(row)
    session.commit()
    return jsonify(row.as_json()), 200


@bp.get("/sandbox/faults")
def get_fault() -> Response:
    row = db().get(FaultState, 1)
    return jsonify(row.as_json() if row else {"mode": "none"})


@bp.get("/sandbox/requests")
def list_requests() -> Response:
    """The service request log; ``?kind=token|ags|nrps|register`` and ``?since=<id>`` narrow it."""
    query = select(ServiceRequest).order_by(ServiceRequest.id)
    if request.args.get("kind"):
        query = query.where(ServiceRequest.kind == request.args["kind"])
    if request.args.get("since", "").isdigit():
        query = query.where(ServiceRequest.id > int(request.args["since"]))
    rows = db().scalars(query)
    counts = dict(db().execute(select(ServiceRequest.kind, func.count()).group_by(ServiceRequest.kind)).all())
    return jsonify({"requests": [row.as_json() for row in rows], "counts": counts})


@bp.delete("/sandbox/requests")
def clear_requests() -> tuple[str, int]:
    db().execute(delete(ServiceRequest))
    db().commit()
    return "", 204
