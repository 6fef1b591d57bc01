"""The sandbox LMS: over real HTTP: a dropped connection, and pylti1p3 as the tool (the interoperability
check).

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask

from sandbox_lms import register_tool, session_scope
from sandbox_lms.store import add_line_item, add_resource_link, get_course

from .support import ADA, BEN, INES, FakeTool, autopost_form


def test_drop_fault_closes_the_connection_without_a_response(live: tuple[Flask, str]) -> None:
    _, url = live
    requests.post(f"{url}/sandbox/faults", json={"mode": "drop", "count": 1}, timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{url}/token", data={"grant_type": "client_credentials"}, timeout=5)
    assert requests.post(f"{url}/token", data={}, timeout=5).status_code == 400
    log = requests.get(f"{url}/sandbox/requests", timeout=5).json()["requests"]
    # The dropped request is logged once its connection is closed, which may be after the next request
    # (the client retries at once): both are there, in either order.
    assert sorted(((r["status"], r["fault"]) for r in log), key=repr) == [(0, "drop"), (400, None)]


def test_pylti1p3_tool_launches_posts_a_grade_and_reads_members(
    live: tuple[Flask, str], tool: FakeTool
) -> None:
    """The interoperability check: pylti1p3 validates the sandbox's launch and uses its services."""
    from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
    from pylti1p3.grade import Grade
    from pylti1p3.tool_config import ToolConfDict

    app, url = live
    with session_scope(app) as session:
        registered = register_tool(session, tool.metadata())
        course = get_course(session)
        assert course is not None
        link = add_resource_link(session, registered, course, "Diagnostic")
        add_line_item(session, registered, course, label="Diagnostic", score_maximum=20, resource_link=link)
        client_id, link_id = registered.client_id, link.link_id
    conf = ToolConfDict(
        {
            url: [
                {
                    "default": True,
                    "client_id": client_id,
                    "auth_login_url": f"{url}/auth",
                    "auth_token_url": f"{url}/token",
                    "key_set_url": f"{url}/jwks.json",
                    "deployment_ids": ["deployment-1"],
                }
            ]
        }
    )
    conf.set_private_key(url, tool.private_pem, client_id=client_id)
    conf.set_public_key(url, tool.public_pem, client_id=client_id)

    tool_app = Flask("pylti1p3_tool")
    tool_app.secret_key = "test"

    @tool_app.post("/login")
    def login() -> Any:
        from flask import request

        return FlaskOIDCLogin(FlaskRequest(), conf).redirect(request.form["target_link_uri"])

    @tool_app.post("/launch")
    def tool_launch() -> Any:
        message = FlaskMessageLaunch(FlaskRequest(), conf)
        data = message.get_launch_data()
        grade = (
            Grade()
            .set_score_given(16)
            .set_score_maximum(20)
            .set_timestamp(datetime.now(UTC).isoformat())
            .set_activity_progress("Completed")
            .set_grading_progress("FullyGraded")
            .set_user_id(data["sub"])
        )
        message.get_ags().put_grade(grade)
        members = message.get_nrps().get_members()
        return {"sub": data["sub"], "members": sorted(m["user_id"] for m in members)}

    browser = tool_app.test_client()
    start = requests.post(
        f"{url}/launch/start",
        data={"tool_id": client_id, "user_id": ADA, "resource_link_id": link_id, "presentation": "window"},
        timeout=5,
    )
    login_form = autopost_form(start.text)
    assert login_form.action == f"{tool.url}/login"
    redirect = browser.post("/login", data=login_form.fields)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith(f"{url}/auth?")
    auth = requests.get(redirect.headers["Location"], timeout=5)
    assert auth.status_code == 200, auth.text
    id_token_form = autopost_form(auth.text)
    outcome = browser.post("/launch", data=id_token_form.fields)
    assert outcome.status_code == 200, outcome.text
    assert outcome.get_json() == {"sub": ADA, "members": sorted([ADA, BEN, INES])}
    state = requests.get(f"{url}/sandbox/state", timeout=5).json()
    assert state["line_items"][0]["results"][ADA]["resultScore"] == 16
    kinds = requests.get(f"{url}/sandbox/requests", timeout=5).json()["counts"]
    assert kinds["token"] >= 1 and kinds["ags"] == 1 and kinds["nrps"] == 1
