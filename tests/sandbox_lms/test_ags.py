"""The sandbox LMS: AGS 2.0: line items, scores and results, and the bearer scopes they need.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sandbox_lms import claims as lti
from sandbox_lms import register_tool, session_scope

from .support import ADA, BASE, BEN, FakeTool, access_token, bearer, lineitems_path, local, score


def create_line_item(client: FlaskClient, token: str, **fields: Any) -> dict[str, Any]:
    body = {"label": "Mock exam", "scoreMaximum": 40, "tag": "mock", "resourceId": "mock-exam", **fields}
    response = client.post(lineitems_path(), json=body, headers=bearer(token, lti.MEDIA_LINEITEM))
    assert response.status_code == 201, response.text
    assert response.mimetype == lti.MEDIA_LINEITEM
    return response.get_json()


def test_line_items_create_list_filter_update_delete(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    token = access_token(client, tool, client_id)
    item = create_line_item(client, token, resourceLinkId=link_id)
    assert item["id"].startswith(f"{BASE}/api/courses/course-1/lineitems/")
    assert (item["label"], item["scoreMaximum"], item["resourceLinkId"]) == ("Mock exam", 40, link_id)
    listing = client.get(lineitems_path(), headers=bearer(token))
    assert listing.mimetype == lti.MEDIA_LINEITEM_CONTAINER
    assert [i["label"] for i in listing.get_json()] == ["Diagnostic", "Mock exam"]
    for query, labels in [
        ("tag=mock", ["Mock exam"]),
        ("resource_id=none", []),
        (f"resource_link_id={link_id}", None),
    ]:
        found = [
            i["label"] for i in client.get(f"{lineitems_path()}?{query}", headers=bearer(token)).get_json()
        ]
        assert found == (labels if labels is not None else ["Diagnostic", "Mock exam"])
    paged = client.get(f"{lineitems_path()}?limit=1", headers=bearer(token))
    assert len(paged.get_json()) == 1 and 'rel="next"' in paged.headers["Link"]
    path = local(item["id"])
    assert client.get(path, headers=bearer(token)).get_json() == item
    updated = client.put(
        path, json={**item, "label": "Mock exam (v2)"}, headers=bearer(token, lti.MEDIA_LINEITEM)
    )
    assert updated.status_code == 200 and updated.get_json()["label"] == "Mock exam (v2)"
    assert client.delete(path, headers=bearer(token)).status_code == 204
    assert client.get(path, headers=bearer(token)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"scoreMaximum": 10},
        {"label": "x", "scoreMaximum": 0},
        {"label": "x", "scoreMaximum": True},
        {"label": "x"},
    ],
)
def test_line_item_creation_validates(
    client: FlaskClient, tool: FakeTool, client_id: str, body: dict
) -> None:
    token = access_token(client, tool, client_id)
    assert (
        client.post(lineitems_path(), json=body, headers=bearer(token, lti.MEDIA_LINEITEM)).status_code == 400
    )
    plain_json = client.post(lineitems_path(), json={"label": "x", "scoreMaximum": 1}, headers=bearer(token))
    assert plain_json.status_code == 415


def test_services_need_a_token_with_the_right_scope(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    assert client.get(lineitems_path()).status_code == 401
    assert client.get(lineitems_path(), headers=bearer("nonsense")).status_code == 401
    assert client.get("/api/courses/course-1/memberships").status_code == 401
    readonly = access_token(client, tool, client_id, lti.SCOPE_LINEITEM_READONLY)
    assert client.get(lineitems_path(), headers=bearer(readonly)).status_code == 200
    forbidden = client.post(lineitems_path(), json={}, headers=bearer(readonly, lti.MEDIA_LINEITEM))
    assert forbidden.status_code == 403 and forbidden.get_json()["error"] == "insufficient_scope"
    assert client.get("/api/courses/course-1/memberships", headers=bearer(readonly)).status_code == 403
    assert client.get(lineitems_path("course-9"), headers=bearer(readonly)).status_code == 404


def test_scores_results_and_the_whole_second_timestamp_rule(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    token = access_token(client, tool, client_id)
    item = create_line_item(client, token, scoreMaximum=40)
    scores_path, headers = local(item["id"]) + "/scores", bearer(token, lti.MEDIA_SCORE)
    first = datetime(2030, 1, 1, 12, 0, 0, 100000, tzinfo=UTC)
    assert client.post(scores_path, json=score(ADA, 5, first), headers=headers).status_code == 204
    same_second = client.post(
        scores_path, json=score(ADA, 6, first + timedelta(milliseconds=800)), headers=headers
    )
    assert same_second.status_code == 409
    earlier = client.post(scores_path, json=score(ADA, 6, first - timedelta(seconds=5)), headers=headers)
    assert earlier.status_code == 409
    later = score(ADA, 8, first + timedelta(seconds=1), comment="Well done")
    assert client.post(scores_path, json=later, headers=headers).status_code == 204
    other_zone = (first + timedelta(seconds=2)).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert (
        client.post(
            scores_path,
            json=score(
                BEN, None, first, timestamp=other_zone, gradingProgress="Pending", activityProgress="Started"
            ),
            headers=headers,
        ).status_code
        == 204
    )
    results = client.get(local(item["id"]) + "/results", headers=bearer(token))
    assert results.mimetype == lti.MEDIA_RESULT_CONTAINER
    by_user = {r["userId"]: r for r in results.get_json()}
    assert by_user[ADA]["resultScore"] == 32 and by_user[ADA]["resultMaximum"] == 40
    assert by_user[ADA]["comment"] == "Well done" and by_user[ADA]["scoreOf"] == item["id"]
    assert "resultScore" not in by_user[BEN]
    only_ben = client.get(local(item["id"]) + f"/results?user_id={BEN}", headers=bearer(token)).get_json()
    assert [r["userId"] for r in only_ben] == [BEN]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"userId": "stranger"}, 400),
        ({"scoreGiven": 11}, 400),
        ({"scoreGiven": -1}, 400),
        ({"scoreMaximum": None}, 400),
        ({"activityProgress": "Done"}, 400),
        ({"gradingProgress": "Graded"}, 400),
        ({"timestamp": "2030-01-01T12:00:00"}, 400),
        ({"timestamp": "yesterday"}, 400),
    ],
)
def test_scores_are_validated(
    client: FlaskClient, tool: FakeTool, client_id: str, link_id: str, change: dict, status: int
) -> None:
    token = access_token(client, tool, client_id)
    [item] = client.get(lineitems_path(), headers=bearer(token)).get_json()
    body = {**score(ADA, 7, datetime.now(UTC)), **change}
    body = {name: value for name, value in body.items() if value is not None}
    response = client.post(local(item["id"]) + "/scores", json=body, headers=bearer(token, lti.MEDIA_SCORE))
    assert response.status_code == status, response.text
    wrong_type = client.post(
        local(item["id"]) + "/scores", json=score(ADA, 7, datetime.now(UTC)), headers=bearer(token)
    )
    assert wrong_type.status_code == 415
    score_only = access_token(client, tool, client_id, lti.SCOPE_LINEITEM)
    refused = client.post(
        local(item["id"]) + "/scores",
        json=score(ADA, 7, datetime.now(UTC)),
        headers=bearer(score_only, lti.MEDIA_SCORE),
    )
    assert refused.status_code == 403


def test_a_tool_cannot_see_another_tools_line_items(
    app: Flask, client: FlaskClient, tool: FakeTool, client_id: str, link_id: str
) -> None:
    with session_scope(app) as session:
        other = register_tool(session, tool.metadata()).client_id
    mine = client.get(lineitems_path(), headers=bearer(access_token(client, tool, client_id))).get_json()
    theirs = bearer(access_token(client, tool, other))
    assert client.get(lineitems_path(), headers=theirs).get_json() == []
    assert client.get(local(mine[0]["id"]), headers=theirs).status_code == 404
