"""The sandbox LMS: fault injection (failures, time windows, timeouts) and the request log.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

import time

from flask.testing import FlaskClient

from .support import FakeTool, access_token, bearer, client_assertion, lineitems_path, token_request


def test_faults_fail_the_next_n_requests_then_recover(
    client: FlaskClient, tool: FakeTool, client_id: str
) -> None:
    token = access_token(client, tool, client_id)
    assert client.post("/sandbox/faults", json={"mode": "error500", "count": 2}).status_code == 200
    assert [client.get(lineitems_path(), headers=bearer(token)).status_code for _ in range(3)] == [
        500,
        500,
        200,
    ]
    client.post("/sandbox/faults", json={"mode": "rate_limit", "count": 1, "retry_after": 7})
    limited = token_request(client, client_assertion(tool, client_id))
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert token_request(client, client_assertion(tool, client_id)).status_code == 200
    client.post("/sandbox/faults", json={"mode": "reject400", "count": 1, "target": "nrps"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200  # not the target
    assert client.get("/api/courses/course-1/memberships", headers=bearer(token)).status_code == 400
    assert client.get("/api/courses/course-1/memberships", headers=bearer(token)).status_code == 200
    log = client.get("/sandbox/requests").get_json()
    assert [(r["status"], r["fault"]) for r in log["requests"] if r["fault"]] == [
        (500, "error500"),
        (500, "error500"),
        (429, "rate_limit"),
        (400, "reject400"),
    ]
    assert log["counts"]["token"] == 3 and all(
        r["time"] and r["method"] and r["path"] for r in log["requests"]
    )
    assert client.delete("/sandbox/requests").status_code == 204
    assert client.get("/sandbox/requests").get_json()["requests"] == []


def test_faults_for_a_time_window_and_timeouts(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    token = access_token(client, tool, client_id)
    client.post("/sandbox/faults", json={"mode": "error500", "seconds": 0.3})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 500
    time.sleep(0.4)
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    client.post("/sandbox/faults", json={"mode": "timeout", "count": 1, "delay": 0.3})
    started = time.perf_counter()
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    assert time.perf_counter() - started >= 0.3
    client.post("/sandbox/faults", json={"mode": "error500"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 500
    client.post("/sandbox/faults", json={"mode": "none"})
    assert client.get(lineitems_path(), headers=bearer(token)).status_code == 200
    assert client.get("/sandbox/faults").get_json()["mode"] == "none"
    assert client.post("/sandbox/faults", json={"mode": "explode"}).status_code == 400
    assert client.post("/sandbox/faults", json={"mode": "error500", "count": 0}).status_code == 400
