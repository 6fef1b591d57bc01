"""Grade passback: how many scores a second reach the LMS, and how soon after the learner submits.

Grade workers (`flask --app lti_app worker`, separate processes, each delivering concurrently) send
scores to the sandbox LMS (its own gunicorn) over HTTP, in two phases (issue 13, point 1):

1. capacity: a backlog of one graded attempt per learner is queued with no worker running; then the
   workers start and drain it. Scores per second = synced grades / (last synced - first synced).
2. burst: with the workers running, every learner takes the check again (started and answered first,
   as during an exam), then they all submit, spread evenly over --burst-seconds (1,000 submits in
   10 s by default). Submit-to-confirmed latency p50/p99 (from the attempt's submit to the LMS's
   2xx), and that every grade landed exactly once.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 python benchmarks/passback_benchmark.py [--learners N]

Attempts are submitted through the service layer (the code the submit button runs). Loopback only.
The database named in DATABASE_URL is emptied first: point it at a scratch database. Exits 1 when a
target is missed (>= 200 scores/s, p50 < 1 s, p99 < 3 s, 0 failed, one score per grade).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
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


TARGETS = {"scores_per_second": 200.0, "latency_p50_s": 1.0, "latency_p99_s": 3.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000, help="grades per phase (one per learner)")
    parser.add_argument(
        "--burst-seconds", type=float, default=10.0, help="phase 2 spreads its submits over this"
    )
    parser.add_argument("--workers", type=int, default=2, help="grade worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="deliveries in flight per worker")
    parser.add_argument("--submit-processes", type=int, default=1, help="processes submitting attempts")
    parser.add_argument("--submitters", type=int, default=8, help="threads per submitting process")
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
    # The LMS in its own processes (gunicorn), so the submitting process doesn't slow it down.
    sandbox = start_gunicorn(
        "sandbox_lms:create_sandbox_app()",
        sandbox_port,
        sandbox_env,
        workers=2,
        threads=8,
        ready_path="/.well-known/openid-configuration",
    )
    worker_command = [sys.executable, "-m", "flask", "--app", "lti_app", "worker", "--idle", "0.05"]
    worker_command += ["--concurrency", str(args.concurrency)]
    workers: list[subprocess.Popen] = []
    with serve(tool_app, tool_port), ExitStack() as stack:
        try:
            lms = Lms(tool_app, sandbox_app, tool_url, sandbox_url)
            lms.register_tool()
            learners = add_learners(sandbox_app, args.learners)
            with session_scope(sandbox_app) as session:
                tool = get_tool(session, lms.client_id)
                link_id = add_resource_link(
                    session, tool, get_course(session), "Check", custom={"assessment": "knowledge-check"}
                ).link_id
            submitters = stack.enter_context(
                ProcessPoolExecutor(
                    args.submit_processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_submitter,
                    initargs=(env, link_id, sandbox_url),
                )
            )
            shape = {"processes": args.submit_processes, "threads": args.submitters}
            print(f"phase 1: queueing {len(learners)} grades with no worker running", flush=True)
            backlog = submit_all(submitters, learners, round_number=0, seconds=0.0, **shape)
            worker_log = (folder / "workers.log").open("w")  # JSON lines: read it when a grade fails
            workers = [
                subprocess.Popen(
                    worker_command, cwd=ROOT, env={**os.environ, **env}, stdout=worker_log, stderr=worker_log
                )
                for _ in range(args.workers)
            ]
            wait_until_delivered(tool_app, timeout=600)
            capacity = measure(tool_app, backlog)
            worker_cpu = sum(cpu_seconds(worker.pid) for worker in workers)  # phase 2's alone below:
            lms_cpu = cpu_seconds(sandbox.pid)  # start-up and phase 1's submits are not counted
            print(
                f"phase 2: {len(learners)} submits over {args.burst_seconds:.0f} s, workers running",
                flush=True,
            )
            burst = submit_all(submitters, learners, round_number=1, seconds=args.burst_seconds, **shape)
            wait_until_delivered(tool_app, timeout=600)
            latency = measure(tool_app, burst)
            worker_cpu = sum(cpu_seconds(worker.pid) for worker in workers) - worker_cpu
            lms_cpu = cpu_seconds(sandbox.pid) - lms_cpu
            posts = score_posts(sandbox_url)
            tokens = requests.get(f"{sandbox_url}/sandbox/requests", params={"kind": "token"}, timeout=60)
        finally:
            for worker in workers:
                worker.terminate()
                worker.wait(timeout=30)
            sandbox.terminate()
            sandbox.wait(timeout=30)
    result = {
        "scores_per_second": capacity["per_second"],
        "capacity_grades": capacity["synced"],
        "latency_p50_s": latency["p50"],
        "latency_p99_s": latency["p99"],
        "burst_submit_seconds": burst.seconds,
        "burst_grades": latency["synced"],
        "worker_cpu_ms_per_grade": 1000 * worker_cpu / max(1, latency["synced"]),
        "lms_cpu_ms_per_grade": 1000 * lms_cpu / max(1, latency["synced"]),
        "failed": capacity["failed"] + latency["failed"],
        "score_posts": posts,
        "token_requests": len(tokens.json()["requests"]),
    }
    return report(result, args)


class Submitted:
    def __init__(self, ids: list[int], seconds: float):
        self.ids, self.seconds = ids, seconds


class Submitter:
    """Learners answer and submit the knowledge check through the service layer, from a few threads
    (each with its own database session), paced to spread the submits evenly over `seconds`."""

    def __init__(self, tool_app, link_id: str, sandbox_url: str):
        self.tool_app, self.link_id = tool_app, link_id
        self.gradebook = {
            "scope": [AGS + "scope/lineitem", AGS + "scope/score", AGS + "scope/result.readonly"],
            "lineitems": f"{sandbox_url}/api/courses/course-1/lineitems",
        }
        with tool_app.app_context():
            from lti_app.adapters.orm import Platform

            self.platform_id = tool_app.extensions["db_session"]().scalar(select(Platform.id))

    def _in_session(self, work):
        with self.tool_app.app_context():
            session = self.tool_app.extensions["db_session"]()
            try:
                return work(session)
            finally:
                self.tool_app.extensions["db_session"].remove()

    def prepare(self, learners: list[tuple[int, str]], round_number: int, threads: int):
        """Start and answer an attempt for each (index, learner): what learners do before submitting."""

        def one(pair: tuple[int, str]) -> tuple[int, str, int]:
            index, sub = pair
            answered = self._in_session(lambda session: self._answered(session, sub, index + round_number))
            return index, sub, answered

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, learners))

    def share(self, attempts: list[tuple[int, str, int]], started: float, interval: float, threads: int):
        """Submit these (index, learner, attempt id), each at `started` + index x `interval` (wall clock,
        shared by every submitting process), from `threads` threads: what the submit button runs."""
        content = self.tool_app.extensions["content"]

        def submit(session, sub: str, attempt_id: int) -> int:
            attempt = attempt_service.owned_attempt(session, self._context(sub), attempt_id, hold=True)
            attempt_service.submit(session, content, attempt)
            return attempt_id

        def one(entry: tuple[int, str, int]) -> int:
            index, sub, attempt_id = entry
            if (wait := started + index * interval - time.time()) > 0:
                time.sleep(wait)
            return self._in_session(lambda session: submit(session, sub, attempt_id))

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, attempts))

    def _context(self, sub: str) -> LaunchContext:
        """The learner's launch, as the tool's pages have it."""
        return LaunchContext(
            launch_id=f"bench-{sub}",
            platform_id=self.platform_id,
            deployment_id="deployment-1",
            user_sub=sub,
            user_name=sub,
            roles=[LEARNER_ROLE],
            context_id="course-1",
            context_title="",
            resource_link_id=self.link_id,
            assessment_id="knowledge-check",
            message_type="LtiResourceLinkRequest",
            claims={
                AGS + "claim/endpoint": self.gradebook,
                "https://purl.imsglobal.org/spec/lti/claim/resource_link": {
                    "id": self.link_id,
                    "title": "Check",
                },
            },
        )

    def _answered(self, session, sub: str, seed: int) -> int:
        content = self.tool_app.extensions["content"]
        ctx = self._context(sub)
        attempt = attempt_service.start_attempt(session, content, ctx, "knowledge-check")
        for number in (1, 2):
            attempt_service.save_answer(session, content, attempt, number, (seed + number) % 4)
        return attempt.id


_SUBMITTER: Submitter | None = None


def _start_submitter(env: dict[str, str], link_id: str, sandbox_url: str) -> None:
    """In each submitting process: a tool app of its own (as each gunicorn worker has)."""
    global _SUBMITTER
    _SUBMITTER = Submitter(create_app(env), link_id, sandbox_url)


def _prepare_share(*args) -> list[tuple[int, str, int]]:
    return _SUBMITTER.prepare(*args)


def _submit_share(*args) -> list[int]:
    return _SUBMITTER.share(*args)


def submit_all(pool, learners: list[str], *, round_number: int, seconds: float, processes: int, threads: int):
    """Every learner starts and answers an attempt (not timed), then submits it, the submits spread
    evenly over `seconds`, from `processes` processes (the web tier has several)."""
    indexed = list(enumerate(learners))
    shares = [indexed[n::processes] for n in range(processes)]
    prepared = [pool.submit(_prepare_share, share, round_number, threads) for share in shares]
    answered = [future.result() for future in prepared]
    started = time.time() + 0.5
    interval = seconds / max(1, len(learners))
    futures = [pool.submit(_submit_share, share, started, interval, threads) for share in answered]
    ids = [attempt_id for future in futures for attempt_id in future.result()]
    return Submitted(ids, time.time() - started)


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
            time.sleep(0.2)
    raise RuntimeError("grades still waiting after the timeout")


def measure(tool_app, submitted: Submitted) -> dict:
    with tool_app.app_context():
        session = tool_app.extensions["db_session"]()
        session.expire_all()
        rows = session.execute(
            select(GradeDelivery.status, GradeDelivery.synced_at, Attempt.submitted_at)
            .join(Attempt, Attempt.id == GradeDelivery.attempt_id)
            .where(Attempt.id.in_(submitted.ids))
        ).all()
    synced = [(s_at, sub_at) for status, s_at, sub_at in rows if status == "synced"]
    latencies = sorted((s_at - sub_at).total_seconds() for s_at, sub_at in synced)
    window = (max(s for s, _ in synced) - min(s for s, _ in synced)).total_seconds()
    return {
        "synced": len(synced),
        "failed": sum(status == "failed" for status, _, _ in rows),
        "per_second": (len(synced) - 1) / max(window, 1e-9),
        "p50": statistics.median(latencies),
        "p99": latencies[int(0.99 * (len(latencies) - 1))],
    }


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its children so far, from /proc (Linux): what a
    phase cost, whatever else the machine was doing (wall-clock rates depend on the load)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def score_posts(sandbox_url: str) -> int:
    log = requests.get(f"{sandbox_url}/sandbox/requests", params={"kind": "ags"}, timeout=60).json()
    return sum(
        r["method"] == "POST" and r["path"].endswith("/scores") and 200 <= r["status"] < 300
        for r in log["requests"]
    )


def report(result: dict, args) -> int:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = os.getloadavg()[0]
    print(
        f"machine: {machine}, load average {load:.1f}; {args.learners} learners, {args.workers} grade worker"
        f" processes x {args.concurrency} deliveries in flight"
    )
    for key, value in result.items():
        print(f"{key:<22} {value:.3f}" if isinstance(value, float) else f"{key:<22} {value}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "passback.json").write_text(json.dumps({"machine": machine, "load": load, **result}, indent=2))
    missed = [
        f"{name} {result[name]:.2f} (target {'>=' if name == 'scores_per_second' else '<'} {target})"
        for name, target in TARGETS.items()
        if (result[name] < target if name == "scores_per_second" else result[name] >= target)
    ]
    if result["failed"]:
        missed.append(f"{result['failed']} grades failed")
    if result["burst_submit_seconds"] > args.burst_seconds + 1.0:  # the submits could not keep pace
        missed.append(
            f"the burst's submits took {result['burst_submit_seconds']:.1f} s, not {args.burst_seconds:.0f}"
        )
    grades = result["capacity_grades"] + result["burst_grades"]
    if result["score_posts"] != grades:
        missed.append(f"{result['score_posts']} scores posted for {grades} grades (exactly once each)")
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
