"""Where a launch and an answer save spend their time: SQL statements, Redis commands, hottest functions.

    python benchmarks/launch_profile.py [--launches 200] [--saves 200] [--top 25] [--sort cumulative]
    DATABASE_URL=postgresql+psycopg://... REDIS_URL=redis://... python benchmarks/launch_profile.py

A launch here is what a learner's browser does when the LMS opens the activity: the OIDC login
(GET /lti/login) and the launch (POST /lti/launch with an id_token the sandbox LMS signed), up to the
tool's 303. The tool runs in this process through Flask's test client (no HTTP in the profile); the
sandbox LMS serves its keys over loopback. Counts are exact (SQLAlchemy cursor events, Redis
commandstats); the profile is cProfile's, by own time unless --sort says otherwise. Used to find
avoidable work (issue 13, point 4); the throughput itself is measured by lti_benchmark.py.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

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
from tests.live import free_port, serve  # noqa: E402
from tests.lti_harness import Lms, database_url, reset_database  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=200)
    parser.add_argument("--saves", type=int, default=200, help="answer saves to profile after the launches")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats order: tottime (own time), cumulative...")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="skarp-profile-"))
    url = database_url(folder)
    reset_database(url)
    tool_port, sandbox_port = free_port(), free_port()
    tool_url, sandbox_url = f"http://localhost:{tool_port}", f"http://127.0.0.1:{sandbox_port}"
    env = {"TOOL_BASE_URL": tool_url, "DATABASE_URL": url, "SECRET_KEY": "profile"}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    tool_app = create_app(env)
    cache = tool_app.extensions["redis"]
    cache.flushdb()
    sandbox_app = create_sandbox_app(
        {
            "SANDBOX_BASE_URL": sandbox_url,
            "SANDBOX_DATABASE_URL": f"sqlite:///{folder / 'sandbox.sqlite3'}",
            "SECRET_KEY": "profile",
        }
    )
    with serve(sandbox_app, sandbox_port), serve(tool_app, tool_port):
        lms = Lms(tool_app, sandbox_app, tool_url, sandbox_url)
        lms.register_tool()
        with session_scope(sandbox_app) as session:
            tool = get_tool(session, lms.client_id)
            link = add_resource_link(
                session, tool, get_course(session), "Diagnostic", custom={"assessment": "diagnostic"}
            ).link_id
        template = launch_claims(sandbox_app, lms.client_id, "learner-1", link, "nonce")
        key = load_private_key(sandbox_private_key_pem(sandbox_app))
        client = tool_app.test_client()
        login_params = lms.login_params()

        last_launch = [""]

        def launch(number: int) -> None:
            login = client.get("/lti/login", query_string=login_params, base_url=tool_url)
            assert login.status_code == 302, login.status_code
            query = parse_qs(urlsplit(login.headers["Location"]).query)
            now = int(time.time())
            claims = {
                **template,
                "sub": f"p-{number}",
                "nonce": query["nonce"][0],
                "iat": now,
                "exp": now + 300,
            }
            data = {"id_token": sign_id_token(key, claims), "state": query["state"][0]}
            response = client.post("/lti/launch", data=data, base_url=tool_url)
            assert response.status_code == 303, response.get_data(as_text=True)[:500]
            last_launch[0] = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]

        launch(-1)  # first launch: the platform's key set is fetched and cached, as in production
        statements = [0]
        engine = tool_app.extensions["db_engine"]
        event.listen(
            engine, "before_cursor_execute", lambda *_a: statements.__setitem__(0, statements[0] + 1)
        )

        def open_question() -> tuple[str, str]:
            """A learner who launched the diagnostic and pressed Start: question 1 and its CSRF token."""
            launch(10_000_000)
            intro = client.get(f"/a/{last_launch[0]}/", base_url=tool_url)
            token = CSRF.search(intro.get_data(as_text=True))[1]
            question = client.post(
                f"/a/{last_launch[0]}/start",
                data={"csrf_token": token},
                base_url=tool_url,
                follow_redirects=True,
            )
            return question.request.path, CSRF.search(question.get_data(as_text=True))[1]

        question_path, csrf = open_question() if args.saves else ("", "")

        def save(number: int) -> None:
            data = {"csrf_token": csrf, "choice": str(number % 4), "go": "stay"}
            response = client.post(
                question_path, data=data, base_url=tool_url, headers={"Accept": "application/json"}
            )
            assert response.status_code == 200, response.status_code

        for label, action, count in (
            ("launches (login + launch)", launch, args.launches),
            ("answer saves", save, args.saves),
        ):
            if count:
                measure(label, action, count, cache, statements, args.top, args.sort)
    return 0


def measure(label: str, action, count: int, cache, statements: list[int], top: int, sort: str) -> None:
    """Run `action` `count` times under cProfile; print per-call time, SQL statements and Redis commands."""
    statements[0] = 0
    cache.config_resetstat()
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for number in range(count):
        action(number)
    profile.disable()
    elapsed = time.perf_counter() - started
    commands = {name.removeprefix("cmdstat_"): s["calls"] for name, s in cache.info("commandstats").items()}
    commands.pop("config|resetstat", None)
    commands.pop("info", None)
    print(f"{count} {label} in {elapsed:.2f} s: {1000 * elapsed / count:.1f} ms each, in process")
    print(f"SQL statements each: {statements[0] / count:.1f}")
    print("Redis commands each: " + ", ".join(f"{k} {v / count:.1f}" for k, v in sorted(commands.items())))
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(sort).print_stats(top)
    print(out.getvalue())


if __name__ == "__main__":
    raise SystemExit(main())
