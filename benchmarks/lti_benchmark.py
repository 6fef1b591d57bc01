"""LTI tool throughput: full launches (login + launch) and answer saves, under gunicorn with
PostgreSQL and Redis, against the floor of a bare endpoint that only verifies an RS256 JWT.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 python benchmarks/lti_benchmark.py [--seconds 10] [--clients 8]

The sandbox LMS runs in this process (it signs the id_tokens, as a platform does); the tool and
the floor run under gunicorn in their own processes. Load is bounded in time and goes to 127.0.0.1
only. The database named in DATABASE_URL is emptied first: point it at a scratch database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
from sandbox_lms.keys import load_private_key  # noqa: E402
from tests.live import LoopbackBrowser, free_port, serve  # noqa: E402
from tests.lti_harness import Lms, csrf_of, reset_database  # noqa: E402


class Load:
    """Run `action` from `clients` threads for `seconds`; collect latencies of successful calls."""

    def __init__(self, clients: int, seconds: float):
        self.clients, self.seconds = clients, seconds
        self.latencies: list[float] = []
        self.errors = 0
        self.lock = threading.Lock()

    def run(self, setup, action) -> dict:
        stop_at = time.monotonic() + self.seconds

        def worker() -> None:
            state = setup()
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                ok = action(state)
                elapsed = time.perf_counter() - started
                with self.lock:
                    if ok:
                        self.latencies.append(elapsed)
                    else:
                        self.errors += 1

        threads = [threading.Thread(target=worker) for _ in range(self.clients)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        ordered = sorted(self.latencies)
        return {
            "count": len(ordered),
            "errors": self.errors,
            "per_second": len(ordered) / wall,
            "p50_ms": 1000 * statistics.median(ordered) if ordered else None,
            "p99_ms": 1000 * ordered[int(0.99 * (len(ordered) - 1))] if ordered else None,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/skarp_bench")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    reset_database(database_url)
    import redis

    redis.Redis.from_url(redis_url).flushdb()

    folder = Path(tempfile.mkdtemp(prefix="skarp-bench-"))
    tool_port, sandbox_port, floor_port = free_port(), free_port(), free_port()
    tool_url, sandbox_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
    sandbox_app = create_sandbox_app(
        {
            "SANDBOX_BASE_URL": sandbox_url,
            "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite3'}",
            "SECRET_KEY": "bench",
        }
    )
    env = {
        "TOOL_BASE_URL": tool_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-secret",
    }
    processes = []
    with serve(sandbox_app, sandbox_port):
        try:
            processes.append(start_gunicorn("lti_app:create_app()", tool_port, env, workers=args.workers))
            # The operator's invite, made as `flask platforms invite` would: on the tool's own database.
            lms = Lms(create_app(dict(env)), sandbox_app, tool_url, sandbox_url)
            lms.register_tool()
            with session_scope(sandbox_app) as session:
                tool = get_tool(session, lms.client_id)
                link = add_resource_link(
                    session, tool, get_course(session), "Diagnostic", custom={"assessment": "diagnostic"}
                ).link_id
            results = measure(lms, link, args)
            public_pem = _public_pem(sandbox_private_key_pem(sandbox_app))
            floor_env = {"JWT_PUBLIC_KEY_PEM": public_pem, "JWT_AUDIENCE": lms.client_id}
            processes.append(
                start_gunicorn(
                    "benchmarks.jwt_floor:create_app()", floor_port, floor_env, workers=args.workers
                )
            )
            results["floor"] = measure_floor(lms, link, floor_port, args)
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)
    return report(results, args)


def _public_pem(private_pem: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def measure(lms: Lms, link: str, args) -> dict:
    template = launch_claims(lms.sandbox_app, lms.client_id, "learner-1", link, "nonce")
    key = load_private_key(sandbox_private_key_pem(lms.sandbox_app))  # parse once: it costs ~30 ms
    params = lms.login_params()
    learners = iter(range(1_000_000))

    def launch(browser: LoopbackBrowser, sub: str = "learner-1") -> requests.Response | None:
        login = browser.get(f"{lms.tool_url}/lti/login", params=params, allow_redirects=False, timeout=10)
        if login.status_code != 302:
            return None
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        now = int(time.time())
        claims = {**template, "sub": sub, "nonce": query["nonce"][0], "iat": now, "exp": now + 300}
        token = sign_id_token(key, claims)
        data = {"id_token": token, "state": query["state"][0]}
        response = browser.post(f"{lms.tool_url}/lti/launch", data=data, allow_redirects=False, timeout=10)
        return response if response.status_code == 303 else None

    launches = Load(args.clients, args.seconds).run(
        LoopbackBrowser, lambda browser: launch(browser) is not None
    )

    def save_setup():
        browser = LoopbackBrowser()
        response = launch(browser, sub=f"bench-learner-{next(learners)}")  # one open attempt each
        intro = browser.get(lms.tool_url + response.headers["Location"], timeout=10)
        question = browser.post(intro.url + "start", data={"csrf_token": csrf_of(intro.text)}, timeout=10)
        return {"browser": browser, "url": question.url, "token": csrf_of(question.text), "n": 0}

    def save(state) -> bool:
        state["n"] += 1
        data = {"csrf_token": state["token"], "choice": str(state["n"] % 4), "go": "stay"}
        headers = {"Accept": "application/json"}
        response = state["browser"].post(state["url"], data=data, headers=headers, timeout=10)
        return response.status_code == 200

    saves = Load(args.clients, args.seconds).run(save_setup, save)
    return {"launches": launches, "saves": saves}


def measure_floor(lms: Lms, link: str, port: int, args) -> dict:
    now = int(time.time())
    claims = {
        **launch_claims(lms.sandbox_app, lms.client_id, "learner-1", link, "n"),
        "iat": now,
        "exp": now + 600,
    }
    token = sign_id_token(load_private_key(sandbox_private_key_pem(lms.sandbox_app)), claims)

    def verify(session: requests.Session) -> bool:
        response = session.post(f"http://127.0.0.1:{port}/verify", data={"id_token": token}, timeout=10)
        return response.status_code == 200

    return Load(args.clients, args.seconds).run(requests.Session, verify)


#: Issue 13, point 4: a full launch at >= 0.2x the bare RS256 floor with p99 < 300 ms at 8 clients,
#: an answer save at >= 0.5x the floor.
TARGETS = {"launches": (0.2, 300.0), "saves": (0.5, None)}


def report(results: dict, args) -> int:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(
        f"machine: {machine}; {args.clients} client threads, {args.seconds:.0f} s per measure, "
        f"gunicorn {args.workers} workers x 4 threads; PostgreSQL + Redis"
    )
    floor = results["floor"]["per_second"]
    for name in ("launches", "saves", "floor"):
        row = results[name]
        ratio = f"{row['per_second'] / floor:.2f}x floor" if name != "floor" else "1.00x"
        print(
            f"{name:<9} {row['per_second']:8.1f}/s  p50 {row['p50_ms']:7.1f} ms  p99 {row['p99_ms']:7.1f} ms"
            f"  n={row['count']} errors={row['errors']}  {ratio}"
        )
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}")
    (out / "lti.json").write_text(json.dumps({"machine": machine, "load": load, **results}, indent=2))
    missed = []
    for name, (ratio, p99) in TARGETS.items():
        row = results[name]
        if row["per_second"] < ratio * floor:
            missed.append(f"{name} {row['per_second'] / floor:.2f}x the floor (target >= {ratio}x)")
        if p99 is not None and (row["p99_ms"] is None or row["p99_ms"] >= p99):
            missed.append(f"{name} p99 {row['p99_ms']} ms (target < {p99:.0f} ms)")
        if row["errors"]:
            missed.append(f"{name}: {row['errors']} errors")
    for line in missed:
        print(f"MISSED: {line}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
