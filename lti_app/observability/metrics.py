"""Prometheus metrics (prometheus_client), scraped at /metrics with a bearer token.

Counters are kept per process. Under gunicorn and with several grade workers, set
PROMETHEUS_MULTIPROC_DIR (the same directory for the web tier and the workers of one host) before the
processes start: prometheus_client then writes each process's counters to a file there and /metrics
adds them up (deploy/gunicorn.conf.py marks exited gunicorn workers dead). Without it, /metrics shows
only the answering process's own counters, which is right for a single-process local run only.

What the database and Redis know is read at scrape time instead of counted: the grade queue's depth
by state, the age of the oldest waiting grade, and the grade workers alive (their heartbeat).

The increments are one-line calls placed where things happen (see each function's docstring).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import redis
from flask import Flask, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from lti_app.adapters.orm import GradeDelivery
from lti_app.observability import heartbeat

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)  # ours alone: no process/platform collectors twice

LAUNCHES = Counter(
    "skarp_launches", "LTI launches by outcome (accepted, refused, error).", ["outcome"], registry=REGISTRY
)
ANSWER_SAVES = Counter("skarp_answer_saves", "Answers saved by learners.", registry=REGISTRY)
SUBMITS = Counter(
    "skarp_submits", "Attempts submitted, by who closed them (learner, timer).", ["by"], registry=REGISTRY
)
DELIVERIES = Counter(
    "skarp_grade_deliveries",
    "Grade delivery tries by outcome (synced, retrying, failed).",
    ["outcome"],
    registry=REGISTRY,
)
SUBMIT_TO_CONFIRMED = Histogram(
    "skarp_grade_submit_to_confirmed_seconds",
    "From the learner's submit to the LMS gradebook confirming the score.",
    buckets=(1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
    registry=REGISTRY,
)
LMS_RESPONSES = Counter(
    "skarp_lms_responses",
    "HTTP responses from LMS platforms, by kind (token, service) and status code.",
    ["kind", "status"],
    registry=REGISTRY,
)
TOKEN_REQUESTS = Counter(
    "skarp_lms_token_requests", "OAuth2 access token requests sent to LMS platforms.", registry=REGISTRY
)
CONTENT_TYPE = CONTENT_TYPE_LATEST
QUEUE_STATES = ("pending", "retrying", "synced", "failed", "superseded")


# --- the one-line calls -------------------------------------------------------------------------


def answer_saved() -> None:
    """web/assessments.py, after an answer is stored."""
    ANSWER_SAVES.inc()


def submitted(by: str) -> None:
    """services/attempts.py, when a submit actually closes the attempt (once per attempt)."""
    SUBMITS.labels(by=by).inc()


def delivery_finished(delivery: Any, outcome: str) -> None:
    """services/delivery.py, after each delivery try; a confirmed grade also times submit->confirmed
    (the delivery's timestamp is the attempt's submit time, in whole seconds)."""
    DELIVERIES.labels(outcome=outcome).inc()
    if outcome == "synced" and delivery.timestamp is not None:
        SUBMIT_TO_CONFIRMED.observe(max(0.0, (datetime.now(UTC) - delivery.timestamp).total_seconds()))


def lms_responded(kind: str, status: int) -> None:
    """adapters/lms_client.py, for every HTTP response from a platform (kind: token or service)."""
    LMS_RESPONSES.labels(kind=kind, status=str(status)).inc()


def token_requested() -> None:
    """adapters/lms_client.py, when a token request is about to be sent (cache misses only)."""
    TOKEN_REQUESTS.inc()


def _count_launch(response: Response) -> Response:
    """Launch outcomes, from the response of /lti/launch: a redirect into the tool is an accepted
    launch, a 4xx a refused one, a 5xx an error. The 200 page of the LTI Platform Storage round trip is
    a step, not an outcome. Counted here so that every refusal counts, whichever check raised it."""
    if request.endpoint == "lti.launch":
        status = response.status_code
        outcome = "accepted" if 300 <= status < 400 else "refused" if 400 <= status < 500 else "error"
        if status != 200:
            LAUNCHES.labels(outcome=outcome).inc()
    return response


# --- scraping -----------------------------------------------------------------------------------


class StateCollector:
    """What the database and Redis know, read at scrape time (never counted in a process)."""

    def __init__(self, engine: Engine, cache: redis.Redis):
        self.engine = engine
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "skarp_dependency_up",
            "Whether this scrape could read it (database, redis).",
            labels=["dependency"],
        )
        try:
            with self.engine.connect() as connection:
                counts = dict(
                    connection.execute(
                        select(GradeDelivery.status, func.count()).group_by(GradeDelivery.status)
                    ).all()
                )
                oldest = connection.execute(
                    select(func.min(GradeDelivery.created_at)).where(
                        GradeDelivery.status.in_(("pending", "retrying"))
                    )
                ).scalar()
        except SQLAlchemyError as error:
            log.warning("metrics: database unreadable: %s", error.__class__.__name__)
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            queue = GaugeMetricFamily(
                "skarp_grade_queue", "Grade deliveries by state (from the database).", labels=["state"]
            )
            for state in sorted(set(QUEUE_STATES) | set(counts)):
                queue.add_metric([state], counts.get(state, 0))
            yield queue
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            age = (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0
            yield GaugeMetricFamily(
                "skarp_grade_queue_oldest_waiting_seconds",
                "Age of the oldest grade still waiting to reach its gradebook (0 if none).",
                value=max(0.0, age),
            )
        try:
            workers = len(heartbeat.alive(self.cache))
        except redis.RedisError as error:
            log.warning("metrics: redis unreadable: %s", error.__class__.__name__)
            up.add_metric(["redis"], 0)
        else:
            up.add_metric(["redis"], 1)
            yield GaugeMetricFamily(
                "skarp_grade_workers_alive",
                f"Grade workers with a heartbeat in the last {heartbeat.HEARTBEAT_TTL_SECONDS} s.",
                value=workers,
            )
        yield up


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition(engine: Engine, cache: redis.Redis) -> bytes:
    """The text format: this host's counters (all processes in multiprocess mode) and live state."""
    if multiprocess_dir():
        counters = CollectorRegistry()
        multiprocess.MultiProcessCollector(counters)
    else:
        counters = REGISTRY
    state = CollectorRegistry()
    state.register(StateCollector(engine, cache))
    return generate_latest(counters) + generate_latest(state)


def mark_process_dead(pid: int) -> None:
    """For gunicorn's child_exit hook and a stopping worker: drop the process's live gauges."""
    if multiprocess_dir():
        multiprocess.mark_process_dead(pid)


def init_app(app: Flask) -> None:
    app.after_request(_count_launch)
