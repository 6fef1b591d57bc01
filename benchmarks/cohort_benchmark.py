"""A cohort's synchronised start, measured with Locust (issue 13, point 5).

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 python benchmarks/cohort_benchmark.py [--users 1000]

The tool runs as in production: gunicorn (3 workers x 4 threads), PostgreSQL, Redis, and two grade
workers. A sandbox LMS (in this process) registers it and signs the launches. Locust (headless,
bounded users and time, loopback only) spawns --users learners within --spawn-seconds; each launches
the mock exam (login + launch), opens it, starts it, then answers a question every 30 seconds
(benchmarks/locustfile.py). Reported: requests and errors, p50/p99 per request kind, Redis memory per
active learner, the most database connections seen, with the machine and its load. The database named
in DATABASE_URL is emptied first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import jwt  # noqa: E402
import redis  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks.wait import start_gunicorn  # noqa: E402
from lti_app import create_app  # noqa: E402
from sandbox_lms import (  # noqa: E402
    add_resource_link,
    create_sandbox_app,
    get_course,
    get_tool,
    launch_claims,
    sandbox_private_key_pem,
    session_scope,
    sign_id_token,
)
from tests.live import free_port, serve  # noqa: E402
from tests.lti_harness import Lms, reset_database  # noqa: E402

TARGET_P99_MS = 500  # the capacity table's bar: a request kind is "fine" while its p99 stays under it
REDIS_BYTES_PER_LEARNER = 2048


class ConnectionProbe:
    """Samples the database's open connections once a second (pg_stat_activity) while the load runs."""

    def __init__(self, database_url: str):
        self.url = make_url(database_url)
        self.engine = create_engine(self.url.set(database="postgres"))
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
        with self.engine.connect() as connection:
            while not self._stop.wait(1.0):
                self.most = max(self.most, connection.scalar(query, {"name": self.url.database}))

    def __enter__(self) -> ConnectionProbe:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--spawn-seconds", type=float, default=20.0)
    parser.add_argument("--run-seconds", type=int, default=90, help="total Locust run time, spawn included")
    parser.add_argument("--gunicorn-workers", type=int, default=3)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    if not database_url.startswith("postgresql"):
        raise SystemExit("the cohort benchmark needs PostgreSQL (DATABASE_URL=postgresql+psycopg://...)")
    reset_database(database_url)
    cache = redis.Redis.from_url(redis_url)
    cache.flushdb()
    folder = Path(tempfile.mkdtemp(prefix="skarp-cohort-"))
    tool_port, sandbox_port = free_port(), free_port()
    tool_url, sandbox_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
    sandbox_app = create_sandbox_app(
        {
            "SANDBOX_BASE_URL": sandbox_url,
            "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite3'}",
            "SECRET_KEY": "bench",
        }
    )
    env = {"TOOL_BASE_URL": tool_url, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "SECRET_KEY": "b"}
    processes: list[subprocess.Popen] = []
    with serve(sandbox_app, sandbox_port):
        try:
            processes.append(
                start_gunicorn("lti_app:create_app()", tool_port, env, workers=args.gunicorn_workers)
            )
            lms = Lms(create_app(dict(env)), sandbox_app, tool_url, sandbox_url)
            lms.register_tool()
            with session_scope(sandbox_app) as session:
                tool = get_tool(session, lms.client_id)
                link = add_resource_link(
                    session, tool, get_course(session), "Mock exam", custom={"assessment": "mock-exam"}
                ).link_id
            setup = folder / "cohort.json"
            setup.write_text(json.dumps(_handover(lms, link)))
            worker_log = (folder / "workers.log").open("w")
            for _ in range(2):
                processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "flask", "--app", "lti_app", "worker"],
                        cwd=ROOT,
                        env={**os.environ, **env},
                        stdout=worker_log,
                        stderr=worker_log,
                    )
                )
            redis_before = cache.info("memory")["used_memory"]
            with ConnectionProbe(database_url) as probe:
                locust = _run_locust(args, setup, folder)
            redis_after = cache.info("memory")["used_memory"]
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
    stats = _read_stats(folder / "cohort_stats.csv")
    result = {
        "users": args.users,
        "spawn_seconds": args.spawn_seconds,
        "run_seconds": args.run_seconds,
        "locust_exit": locust,
        "requests": stats,
        "redis_bytes_per_learner": (redis_after - redis_before) / max(1, args.users),
        "most_db_connections": probe.most,
    }
    return report(result)


def _handover(lms: Lms, link: str) -> dict:
    """What a platform knows, for the locustfile: claims to sign, its key and kid, the login request."""
    claims = launch_claims(lms.sandbox_app, lms.client_id, "learner-1", link, "nonce")
    kid = jwt.get_unverified_header(sign_id_token(lms.sandbox_app, {"probe": 1}))["kid"]
    return {
        "tool_url": lms.tool_url,
        "claims": claims,
        "kid": kid,
        "private_pem": sandbox_private_key_pem(lms.sandbox_app),
        "login_params": lms.login_params(),
    }


def _run_locust(args, setup: Path, folder: Path) -> int:
    command = [sys.executable, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless"]
    command += ["-u", str(args.users), "-r", f"{args.users / args.spawn_seconds:.2f}"]
    command += ["-t", f"{args.run_seconds}s", "--stop-timeout", "10", "--csv", str(folder / "cohort")]
    command += ["--only-summary", "--loglevel", "WARNING"]
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, "SKARP_COHORT": str(setup)}, check=False
    ).returncode


def _read_stats(path: Path) -> dict[str, dict[str, float]]:
    kinds: dict[str, dict[str, float]] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            kinds[row["Name"]] = {
                "count": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "per_second": float(row["Requests/s"] or 0),
            }
    return kinds


def report(result: dict) -> int:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    load = os.getloadavg()[0]
    print(
        f"machine: {machine}, load average {load:.1f};"
        f" {result['users']} learners in {result['spawn_seconds']:.0f} s"
    )
    print(f"{'request':<14} {'count':>7} {'fail':>6} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for name, row in result["requests"].items():
        print(
            f"{name:<14} {row['count']:>7} {row['failures']:>6} {row['p50_ms']:>8.0f} {row['p99_ms']:>8.0f}"
            f" {row['per_second']:>7.1f}"
        )
    print(f"redis bytes per active learner: {result['redis_bytes_per_learner']:.0f}")
    print(f"most database connections: {result['most_db_connections']}")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "cohort.json").write_text(json.dumps({"machine": machine, "load": load, **result}, indent=2))
    total = result["requests"].get("Aggregated", {})
    missed = []
    if total.get("failures"):
        missed.append(f"{total['failures']} failed requests of {total['count']}")
    missed += [
        f"{name} p99 {row['p99_ms']:.0f} ms (target < {TARGET_P99_MS} ms)"
        for name, row in result["requests"].items()
        if name != "Aggregated" and row["p99_ms"] >= TARGET_P99_MS
    ]
    if result["redis_bytes_per_learner"] > REDIS_BYTES_PER_LEARNER:
        missed.append(f"Redis {result['redis_bytes_per_learner']:.0f} bytes per learner (goal <= 2 KB)")
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed or result["locust_exit"] not in (0, 1) else 0


if __name__ == "__main__":
    raise SystemExit(main())
