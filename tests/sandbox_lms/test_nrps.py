"""The sandbox LMS: NRPS 2.0: the course's memberships.

Split from tests/test_sandbox_platform.py; the tests and assertions are unchanged.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from sandbox_lms import claims as lti

from .support import ADA, BASE, BEN, INES, FakeTool, access_token, bearer, local


def test_memberships_list_the_course(client: FlaskClient, tool: FakeTool, client_id: str) -> None:
    token = access_token(client, tool, client_id, lti.SCOPE_NRPS)
    response = client.get("/api/courses/course-1/memberships", headers=bearer(token))
    assert response.status_code == 200 and response.mimetype == lti.MEDIA_MEMBERSHIP_CONTAINER
    body = response.get_json()
    assert body["context"] == {"id": "course-1", "label": "ITIL4-F", "title": "ITIL 4 Foundation"}
    assert body["id"] == f"{BASE}/api/courses/course-1/memberships"
    members = {m["user_id"]: m for m in body["members"]}
    assert set(members) == {ADA, BEN, INES}
    assert members[ADA] == {
        "status": "Active",
        "user_id": ADA,
        "name": "Ada Learner",
        "given_name": "Ada",
        "family_name": "Learner",
        "email": "ada.learner@example.edu",
        "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
    }
    learners = client.get("/api/courses/course-1/memberships?role=Learner", headers=bearer(token)).get_json()
    assert {m["user_id"] for m in learners["members"]} == {ADA, BEN}
    page = client.get("/api/courses/course-1/memberships?limit=2", headers=bearer(token))
    assert len(page.get_json()["members"]) == 2
    next_url = page.headers["Link"].split('>; rel="next"')[0].rsplit("<", 1)[1]
    rest = client.get(local(next_url), headers=bearer(token)).get_json()["members"]
    assert [m["user_id"] for m in rest] == [INES]
