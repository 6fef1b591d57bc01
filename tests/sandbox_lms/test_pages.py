"""The sandbox LMS: the HTML pages: home, adding an activity, the gradebook, the launch return.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from sandbox_lms import claims as lti
from sandbox_lms import register_tool, session_scope
from sandbox_lms.store import get_tool

from .support import ADA, FakeTool, access_token, bearer, forms_in, lineitems_path, local, score


def test_home_page_lists_tools_links_and_launch_buttons(
    client: FlaskClient, app: Flask, tool: FakeTool, client_id: str, link_id: str
) -> None:
    with session_scope(app) as session:
        register_tool(session, tool.metadata(client_name="<script>alert(1)</script>"))
    html = client.get("/").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for label in ("Launch as Ada Learner", "Launch as Ben Learner", "Launch as Ines Instructor"):
        assert label in html
    assert "Add an activity (deep linking) as Ines Instructor" in html
    assert '<label for="registration_url">' in html and 'target="registration"' in html
    assert 'href="/gradebook"' in html
    launch_forms = [form for form in forms_in(html) if form.action == "/launch/start"]
    assert all(form.method == "post" for form in launch_forms)
    assert {form.fields.get("resource_link_id") for form in launch_forms} == {link_id, "deep-link"}


def test_adding_an_activity_by_hand(client: FlaskClient, app: Flask, client_id: str) -> None:
    with session_scope(app) as session:
        tool_id = get_tool(session, client_id).id  # type: ignore[union-attr]
    response = client.post(
        f"/tools/{tool_id}/resource_links",
        data={"title": "Practice", "custom": "mode=practice", "score_maximum": "5"},
    )
    assert response.status_code == 303
    [link] = client.get("/sandbox/state").get_json()["tools"][0]["resource_links"]
    assert (
        link["title"] == "Practice"
        and link["custom"] == {"mode": "practice"}
        and len(link["line_items"]) == 1
    )
    assert client.post(f"/tools/{tool_id}/resource_links", data={"title": ""}).status_code == 400


def test_gradebook_shows_results_and_score_counts(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    token = access_token(client, tool, client_id)
    [item] = client.get(lineitems_path(), headers=bearer(token)).get_json()
    moment = datetime.now(UTC)
    headers = bearer(token, lti.MEDIA_SCORE)
    client.post(
        local(item["id"]) + "/scores", json=score(ADA, 7.5, moment, comment="<i>ok</i>"), headers=headers
    )
    client.post(
        local(item["id"]) + "/scores", json=score(ADA, 9, moment), headers=headers
    )  # 409, still counted
    html = client.get("/gradebook").text
    assert "<caption>" in html and "Ada Learner" in html and "Ben Learner" in html
    assert "Ines Instructor" not in html
    assert "15.0 / 20.0" in html
    assert "2 score POSTs received" in html and "1 score accepted" in html
    assert "&lt;i&gt;ok&lt;/i&gt;" in html


def test_launch_return_page_escapes_tool_messages(client: FlaskClient) -> None:
    html = client.get("/launch/return?lti_errormsg=<b>boom</b>&lti_msg=done").text
    assert "&lt;b&gt;boom&lt;/b&gt;" in html and "done" in html
