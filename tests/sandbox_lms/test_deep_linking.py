"""The sandbox LMS: the deep linking return: a tool's LtiDeepLinkingResponse creates links and line items.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient

from sandbox_lms import claims as lti

from .support import ADA, BASE, INES, FakeTool, launch, new_rsa_key


def deep_link_response(
    tool: FakeTool, client_id: str, data: str | None, items: list[dict], **overrides: Any
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "aud": BASE,
        "iat": now,
        "exp": now + 300,
        "nonce": str(uuid.uuid4()),
        lti.CLAIM_MESSAGE_TYPE: "LtiDeepLinkingResponse",
        lti.CLAIM_VERSION: "1.3.0",
        lti.CLAIM_DEPLOYMENT_ID: "deployment-1",
        lti.CLAIM_DL_CONTENT_ITEMS: items,
        lti.CLAIM_DL_DATA: data,
        lti.CLAIM_DL_MSG: "Added the <b>mock exam</b>",
    }
    claims.update(overrides)
    return tool.sign({name: value for name, value in claims.items() if value is not None})


MOCK_EXAM_ITEM = {
    "type": "ltiResourceLink",
    "title": "Mock exam",
    "text": "20 questions, 30 minutes",
    "custom": {"quiz": "mock"},
    "lineItem": {"scoreMaximum": 20, "label": "Mock exam score", "resourceId": "mock", "tag": "exam"},
}


def test_deep_link_return_creates_a_resource_link_and_line_item(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    data = launch(client, tool, client_id, INES, "deep-link")[lti.CLAIM_DL_SETTINGS]["data"]
    item = {**MOCK_EXAM_ITEM, "url": f"{tool.url}/launch?quiz=mock"}
    response = client.post(
        "/deep_link_return", data={"JWT": deep_link_response(tool, client_id, data, [item])}
    )
    assert response.status_code == 200, response.text
    assert "Mock exam" in response.text and "Added the &lt;b&gt;mock exam&lt;/b&gt;" in response.text
    state = client.get("/sandbox/state").get_json()
    [link] = state["tools"][0]["resource_links"]
    assert (link["title"], link["url"], link["custom"]) == (
        "Mock exam",
        f"{tool.url}/launch?quiz=mock",
        {"quiz": "mock"},
    )
    [line_item] = state["line_items"]
    assert (line_item["label"], line_item["scoreMaximum"], line_item["resourceLinkId"]) == (
        "Mock exam score",
        20,
        link["id"],
    )
    claims = launch(client, tool, client_id, ADA, link["id"])
    assert claims[lti.CLAIM_TARGET_LINK_URI] == f"{tool.url}/launch?quiz=mock"
    assert claims[lti.CLAIM_AGS_ENDPOINT]["lineitem"] == line_item["id"]
    assert claims[lti.CLAIM_CUSTOM]["quiz"] == "mock"
    again = client.post("/deep_link_return", data={"JWT": deep_link_response(tool, client_id, data, [item])})
    assert again.status_code == 400 and "already answered" in again.text


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (lambda t, c, d: t.sign({"iss": c}, key=new_rsa_key()), "signature"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], aud="https://other.example"),
            "aud must be",
        ),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], exp=int(time.time()) - 60), "expired"),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], nonce=None), "nonce"),
        (lambda t, c, d: deep_link_response(t, c, None, [MOCK_EXAM_ITEM]), "data"),
        (lambda t, c, d: deep_link_response(t, c, "forged", [MOCK_EXAM_ITEM]), "data"),
        (lambda t, c, d: deep_link_response(t, "stranger", d, [MOCK_EXAM_ITEM]), "iss"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_MESSAGE_TYPE: "Nope"}),
            "message_type",
        ),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_VERSION: "1.1"}),
            "version",
        ),
        (
            lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM], **{lti.CLAIM_DEPLOYMENT_ID: "x"}),
            "deployment_id",
        ),
        (lambda t, c, d: deep_link_response(t, c, d, [MOCK_EXAM_ITEM, MOCK_EXAM_ITEM]), "accept_multiple"),
        (
            lambda t, c, d: deep_link_response(t, c, d, [{"type": "file", "url": "http://x/y"}]),
            "not accepted",
        ),
        (
            lambda t, c, d: deep_link_response(
                t, c, d, [{**MOCK_EXAM_ITEM, "lineItem": {"scoreMaximum": 0}}]
            ),
            "scoreMaximum",
        ),
        (lambda t, c, d: jwt.encode({"iss": c}, "s" * 32, algorithm="HS256"), "RS256"),
        (lambda t, c, d: "not.a.jwt", "JWT"),
    ],
)
def test_deep_link_return_refuses_bad_responses(
    client: FlaskClient,
    tool: FakeTool,
    client_id: str,
    tamper: Callable[[FakeTool, str, str], str],
    problem: str,
) -> None:
    data = launch(client, tool, client_id, INES, "deep-link")[lti.CLAIM_DL_SETTINGS]["data"]
    response = client.post("/deep_link_return", data={"JWT": tamper(tool, client_id, data)})
    assert response.status_code == 400
    assert problem in response.text
    assert client.get("/sandbox/state").get_json()["line_items"] == []
    assert client.post("/deep_link_return", data={}).status_code == 400
