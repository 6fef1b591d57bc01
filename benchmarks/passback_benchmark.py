"""Grade passback throughput: a few thousand graded attempts for a few hundred learners, delivered by
grade workers (`flask --app lti_app worker`, separate processes) to the sandbox LMS over HTTP.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 python benchmarks/passback_benchmark.py [--learners N] [--attempts M]

Reports scores delivered per second, token requests, and submit-to-gradebook latency (p50/p99,
from the attempt's submit to the LMS confirming the score). Attempts are submitted through the
service layer (the code the submit button runs), while the workers deliver. Loopback only.
The database named in DATABASE_URL is emptied first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from benchmarks.wait import start_gunicorn  # noqa: E402
from lti_app import create_app  # noqa: E402
from lti_app.adapters.orm import Attempt, GradeDelivery  # noqa: E402
from lti_app.services import attempts as attempt_service  # noqa: E402
from lti_app.services.launches import LaunchContext  # noqa: E402
from sandbox_lms import add_resource_link, create_sandbox_app, get_course, get_tool, session_scope  # noqa: E402
from sandbox_lms.models import Membership, User  # noqa: E402
from tests.live import free_port, serve  # noqa: E402
from tests.lti_harness import Lms, reset_database  # noqa: E402

AGS = "https://purl.imsglobal.org/spec/lti-ags/"
LEARNER_ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def add_learners(sandbox_app, count: int) -> list[str]:
    with session_scope(sandbox_app) as session:
        course = get_course(session)
        subs = []
        for n in range(count):
            sub = f"bench-{n:04d}"
            user = User(
                institution_role="Student",
                sub=sub,
                name=f"Learner {n:04d}",
                given_name="Learner",
                family_name=f"{n:04d}",
                email=f"{sub}@example.edu",
            )
            session.add(user)
            session.flush()
            session.add(Membership(course_id=course.id, user_id=user.id, roles=["Learner"]))
            subs.append(sub)
        return subs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=300)
    parser.add_argument("--attempts", type=int, default=10, help="graded attempts per learner")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    reset_database(database_url)
    folder = Path(tempfile.mkdtemp(prefix="skarp-passback-"))
    tool_port, sandbox_port = free_port(), free_port()
    tool_url, sandbox_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
    env = {
        "TOOL_BASE_URL": tool_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench",
    }
    tool_app = create_app(env)
    tool_app.extensions["redis"].flushdb()
    sandbox_app = create_sandbox_app(  # for setup only: same database as the served sandbox
        {
            "SANDBOX_BASE_URL": sandbox_url,
            "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 's.sqlite3'}",
            "SECRET_KEY": "bench",
        }
    )
    sandbox_env = {
        "SANDBOX_BASE_URL": sandbox_url,
        "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 's.sqlite3'}",
        "SANDBOX_SECRET_KEY": "bench",
    }
    # The LMS in its own process (gunicorn), so the submitting process doesn't slow it down.
    sandbox = start_gunicorn(
        "sandbox_lms:create_sandbox_app()",
        sandbox_port,
        sandbox_env,
        threads=8,
        ready_path="/.well-known/openid-configuration",
    )
    with serve(tool_app, tool_port):
        try:
            lms = Lms(tool_app, sandbox_app, tool_url, sandbox_url)
            lms.register_tool()
            learners = add_learners(sandbox_app, args.learners)
            with session_scope(sandbox_app) as session:
                tool = get_tool(session, lms.client_id)
                link_id = add_resource_link(
                    session, tool, get_course(session), "Check", custom={"assessment": "knowledge-check"}
                ).link_id
            workers = [
                subprocess.Popen(
                    [sys.executable, "-m", "flask", "--app", "lti_app", "worker", "--idle", "0.2"],
                    cwd=ROOT,
                    env={**os.environ, **env},
                    stdout=subprocess.DEVNULL,
                )
                for _ in range(args.workers)
            ]
            try:
                submitted, submit_seconds = submit_attempts(
                    tool_app, lms, link_id, sandbox_url, learners, args.attempts
                )
                finished = wait_until_delivered(tool_app, timeout=600)
            finally:
                for worker in workers:
                    worker.terminate()
                    worker.wait(timeout=30)
            result = measure(tool_app, sandbox_url, submitted, submit_seconds, finished)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=30)
    report(result, args)
    return 0


def submit_attempts(
    tool_app, lms: Lms, link_id: str, sandbox_url: str, learners: list[str], per_learner: int
):
    """Each learner answers the knowledge check `per_learner` times; interleaved, as a class would."""
    content = tool_app.extensions["content"]
    gradebook = {
        "scope": [AGS + "scope/lineitem", AGS + "scope/score", AGS + "scope/result.readonly"],
        "lineitems": f"{sandbox_url}/api/courses/course-1/lineitems",
    }
    platform_id = None
    started = time.monotonic()
    count = 0
    with tool_app.app_context():
        session = tool_app.extensions["db_session"]()
        from lti_app.adapters.orm import Platform

        platform_id = session.scalar(select(Platform.id))
        for round_number in range(per_learner):
            for n, sub in enumerate(learners):
                ctx = LaunchContext(
                    launch_id=f"bench-{sub}",
                    platform_id=platform_id,
                    deployment_id="deployment-1",
                    user_sub=sub,
                    user_name=sub,
                    roles=["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
                    context_id="course-1",
                    context_title="",
                    resource_link_id=link_id,
                    assessment_id="knowledge-check",
                    message_type="LtiResourceLinkRequest",
                    claims={
                        AGS + "claim/endpoint": gradebook,
                        "https://purl.imsglobal.org/spec/lti/claim/resource_link": {
                            "id": link_id,
                            "title": "Check",
                        },
                    },
                )
                attempt = attempt_service.start_attempt(session, content, ctx, "knowledge-check")
                for number in (1, 2):
                    attempt_service.save_answer(
                        session, content, attempt, number, (n + round_number + number) % 4
                    )
                attempt_service.submit(session, content, attempt)
                count += 1
    return count, time.monotonic() - started


def wait_until_delivered(tool_app, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    with tool_app.app_context():
        session = tool_app.extensions["db_session"]()
        while time.monotonic() < deadline:
            session.expire_all()
            waiting = session.scalar(
                select(func.count()).where(GradeDelivery.status.in_(("pending", "retrying")))
            )
            if waiting == 0:
                return time.monotonic()
            time.sleep(0.5)
    raise RuntimeError("grades still waiting after the timeout")


def measure(tool_app, sandbox_url: str, submitted: int, submit_seconds: float, finished: float) -> dict:
    with tool_app.app_context():
        session = tool_app.extensions["db_session"]()
        rows = session.execute(
            select(GradeDelivery.status, GradeDelivery.synced_at, Attempt.submitted_at).join(
                Attempt, Attempt.id == GradeDelivery.attempt_id
            )
        ).all()
    synced = [(s_at, sub_at) for status, s_at, sub_at in rows if status == "synced"]
    latencies = sorted((s_at - sub_at).total_seconds() for s_at, sub_at in synced)
    first = min(sub_at for _, _, sub_at in rows)
    last = max(s_at for s_at, _ in synced)
    log = requests.get(f"{sandbox_url}/sandbox/requests", params={"kind": "token"}, timeout=30).json()
    return {
        "attempts_submitted": submitted,
        "submit_seconds": submit_seconds,
        "deliveries": len(rows),
        "synced": len(synced),
        "superseded": sum(status == "superseded" for status, _, _ in rows),
        "failed": sum(status == "failed" for status, _, _ in rows),
        "delivered_per_second": len(synced) / max((last - first).total_seconds(), 1e-9),
        "token_requests": len(log["requests"]),
        "latency_p50_s": statistics.median(latencies),
        "latency_p99_s": latencies[int(0.99 * (len(latencies) - 1))],
    }


def report(result: dict, args) -> None:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"machine: {machine}; {args.learners} learners x {args.attempts} attempts,"
        f" {args.workers} grade worker processes"
    )
    for key, value in result.items():
        print(f"{key:<22} {value:.3f}" if isinstance(value, float) else f"{key:<22} {value}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "passback.json").write_text(json.dumps({"machine": machine, **result}, indent=2))


if __name__ == "__main__":
    raise SystemExit(main())
