"""The local demo: the tool, the sandbox LMS and the SCORM player, all on this machine.

`python -m sandbox_lms demo` (what `make demo` runs) starts the sandbox LMS on http://127.0.0.1:8000,
the tool on http://localhost:5000 (a different site, as an LMS and a tool are) and, with --scorm, the SCORM
player. On first start the sandbox registers the tool by LTI Dynamic Registration (under a one-time invite
the demo creates itself, as an operator would with `platforms invite`) and places the
diagnostic, the mock exam, the knowledge check and the spaced review in its course, so a newcomer can
launch them; a grade worker thread sends the grades to the sandbox's gradebook.

This is the only sandbox module that imports lti_app (it starts the tool); lti_app never imports it.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import ExitStack, suppress
from pathlib import Path

import click
from flask import Flask
from werkzeug.serving import make_server

from lti_app import create_app
from lti_app.adapters import migrations, redis_store
from lti_app.adapters.db import db
from lti_app.adapters.orm import Platform
from lti_app.services.invites import create_invite
from lti_app.services.registration import register

from .app import create_sandbox_app
from .db import session_scope
from .registration import issue_registration_token
from .store import add_resource_link, get_course, get_tool

ACTIVITIES = (
    ("diagnostic", "Diagnostic"),
    ("mock-exam", "Mock exam"),
    ("knowledge-check", "Knowledge check"),
    ("spaced-review", "Spaced review"),  # ungraded: no custom graded=true
)


def _serve(app, host: str, port: int) -> None:
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _register_once(tool_app: Flask, sandbox_app: Flask, sandbox_url: str) -> str:
    """Dynamic Registration, initiated from here instead of the sandbox's page, under an invite
    created here (the operator's consent, which the demo's operator gives by running it)."""
    with tool_app.app_context():
        platform = db().query(Platform).filter_by(issuer=sandbox_url).first()
        if platform is not None:
            return platform.client_id
        with session_scope(sandbox_app) as session:
            token = issue_registration_token(session, f"{tool_app.config['TOOL_BASE_URL']}/lti/register")
        _invite, invite_token = create_invite(db(), label="sandbox demo", issuer=sandbox_url)
        platform = register(
            db(),
            invite_token,
            tool_app.config["TOOL_BASE_URL"],
            f"{sandbox_url}/.well-known/openid-configuration",
            token,
        )
        return platform.client_id


def _place_activities(sandbox_app: Flask, client_id: str) -> None:
    with session_scope(sandbox_app) as session:
        tool = get_tool(session, client_id)
        if tool is None or tool.resource_links:
            return
        for assessment, title in ACTIVITIES:
            add_resource_link(session, tool, get_course(session), title, custom={"assessment": assessment})


def _grade_worker(tool_app: Flask) -> None:
    """The demo's grade worker, in a thread (production runs `flask --app lti_app worker` processes)."""
    from lti_app.adapters.redis_store import store
    from lti_app.services.delivery import run_once, worker_name

    name = worker_name() + ":demo"
    while True:
        with tool_app.app_context():
            done = run_once(db(), store(), name, 10, tool_app.config["LMS_TIMEOUT_SECONDS"])
        if done == 0:
            time.sleep(1.0)


def run(*, tool_port: int, sandbox_port: int, scorm: Path | None, scorm_port: int) -> None:
    """The tool as `flask --app lti_app` creates it (configured from the environment), beside the sandbox."""
    tool_app = create_app()
    with tool_app.app_context():
        _run(tool_app, tool_port=tool_port, sandbox_port=sandbox_port, scorm=scorm, scorm_port=scorm_port)


def _run(tool_app: Flask, *, tool_port: int, sandbox_port: int, scorm: Path | None, scorm_port: int) -> None:
    tool_app.config["TOOL_BASE_URL"] = f"http://localhost:{tool_port}"
    migrations.upgrade(tool_app.config["DATABASE_URL"])
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    sandbox_app = create_sandbox_app(
        {
            "SANDBOX_BASE_URL": sandbox_url,
            "SANDBOX_DATABASE_URL": f"sqlite:///{Path(tool_app.instance_path) / 'sandbox.sqlite3'}",
            "SECRET_KEY": tool_app.config["SECRET_KEY"] + ":sandbox",
        }
    )
    _serve(tool_app, "127.0.0.1", tool_port)
    _serve(sandbox_app, "127.0.0.1", sandbox_port)
    client_id = _register_once(tool_app, sandbox_app, sandbox_url)
    _place_activities(sandbox_app, client_id)
    threading.Thread(target=_grade_worker, args=(tool_app,), daemon=True).start()
    with ExitStack() as stack:
        lines = [
            f"Sandbox LMS   {sandbox_url}/   (launch the activities as a learner or an instructor)",
            f"Skarp tool    http://localhost:{tool_port}/lti/config",
        ]
        if scorm is not None:
            from scorm_builder.player import serve as serve_scorm

            zips = sorted(scorm.glob("*.zip")) if scorm.is_dir() else [scorm]
            scorm_url = stack.enter_context(serve_scorm(zips, "127.0.0.1", scorm_port))
            lines.append(
                f"SCORM player  {scorm_url}/   (the built packages against scorm-again's SCORM runtime)"
            )
        click.echo("\n".join(lines) + "\nPress Ctrl+C to stop.")
        with suppress(KeyboardInterrupt):
            _wait_for_stop()
    redis_store.close(tool_app)  # the embedded Redis server is a daemon: it stops only when asked


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_for_stop() -> None:
    """Until Ctrl+C or SIGTERM (`kill`, a supervisor, make): both end the demo the same clean way."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        threading.Event().wait()
    finally:
        signal.signal(signal.SIGTERM, previous)
