"""A cmi5 LMS with its LRS, for the browser tests: one HTTP server on 127.0.0.1 (any free port).

    GET  /content/...              the extracted course zip (AU pages and assets)
    POST /fetch/<key>              the launch's one-time fetch URL: {"auth-token": ...} once, then
                                   {"error-code": "1", ...} (cmi5 8.2)
    POST /xapi/statements          one statement or a list: checked against xAPI basics and the cmi5
                                   rules below, then stored in order (all of a list, or none)
    GET/PUT/POST /xapi/activities/state   the State API (LMS.LaunchData is the LMS's and read-only)
    GET  /xapi/agents/profile      404: no learner preferences
    GET  /returned                 the page a launch's returnURL names

`Cmi5Lms.launch()` does what the LMS does before a launch (cmi5 8.1, 10): a registration and a
session id, the LMS.LaunchData state document (contextTemplate with the session id and the
publisher id, launchMode, moveOn, masteryScore, returnURL), a "launched" statement, and the launch
URL with endpoint, fetch, actor, registration and activityId.

Every xAPI request needs `Authorization: Basic <the session's token>` (401 otherwise) and an
`X-Experience-API-Version`. A statement breaking a cmi5 rule is refused with 403 and kept in
`rejected` with the reason (the rules are in tests/cmi5_rules.py); the tests assert on `statements`,
`rejected` and the State API.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import secrets
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from tempfile import TemporaryDirectory
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from lxml import etree

from .cmi5_rules import CATEGORY_CMI5, SESSION_ID, VERBS, Au, Refused, Session, check

CMI5_NS = "{https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd}"
RETURNED_PAGE = b"<!doctype html><title>Back in the LMS</title><h1>Back in the LMS</h1>"


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class Cmi5Lms:
    root: Path
    course_id: str
    aus: dict[str, Au]
    base_url: str = ""
    sessions: dict[str, Session] = field(default_factory=dict)  # by token
    statements: list[dict] = field(default_factory=list)  # stored, in order (the LMS's too)
    rejected: list[tuple[dict, str]] = field(default_factory=list)
    state: dict[tuple[str, str, str, str], bytes] = field(default_factory=dict)
    registrations: dict[str, list[str]] = field(default_factory=dict)  # "registration au" -> verbs
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # method, path, Authorization
    fail_next: int = 0  # answer the next statement POSTs with 503, as an LRS that is briefly down
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what the LMS does ------------------------------------------------------------------

    def launch(
        self,
        au_id: str,
        *,
        registration: str | None = None,
        learner: str = "learner-1",
        launch_mode: str = "Normal",
        mastery_score: float | None = None,
        return_url: str | None = None,
    ) -> str:
        au = self.aus[au_id]
        mastery = au.mastery_score if mastery_score is None else mastery_score
        session = Session(
            id=str(uuid.uuid4()),
            registration=registration or str(uuid.uuid4()),
            au=au,
            actor={"objectType": "Agent", "account": {"homePage": self.base_url, "name": learner}},
            launch_mode=launch_mode,
            mastery_score=mastery,
            token=secrets.token_urlsafe(24),
            fetch_key=secrets.token_urlsafe(16),
        )
        launch_data: dict = {
            "contextTemplate": {
                "contextActivities": {"grouping": [{"objectType": "Activity", "id": au.id}]},
                "extensions": {SESSION_ID: session.id},
            },
            "launchMode": launch_mode,
            "launchMethod": "AnyWindow",
            "moveOn": au.move_on,
        }
        if mastery is not None:
            launch_data["masteryScore"] = mastery
        if return_url:
            launch_data["returnURL"] = return_url
        with self.lock:
            self.sessions[session.token] = session
            key = (au.id, _canonical(session.actor), "LMS.LaunchData", session.registration)
            self.state[key] = json.dumps(launch_data).encode()
            self.statements.append(self._lms_statement(session, "launched", launch_mode))
        query = urlencode(
            {
                "endpoint": f"{self.base_url}/xapi/",
                "fetch": f"{self.base_url}/fetch/{session.fetch_key}",
                "actor": json.dumps(session.actor),
                "registration": session.registration,
                "activityId": au.id,
            },
            quote_via=quote,
        )
        return f"{self.content_url(au)}?{query}"

    def content_url(self, au: Au) -> str:
        return f"{self.base_url}/content/{au.url}"

    def _lms_statement(self, session: Session, verb: str, launch_mode: str) -> dict:
        return {
            "id": str(uuid.uuid4()),
            "actor": session.actor,
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": {"objectType": "Activity", "id": session.au.id},
            "context": {
                "registration": session.registration,
                "contextActivities": {"category": [{"id": CATEGORY_CMI5}]},
                "extensions": {
                    SESSION_ID: session.id,
                    "https://w3id.org/xapi/cmi5/context/extensions/launchmode": launch_mode,
                    "https://w3id.org/xapi/cmi5/context/extensions/launchurl": self.content_url(session.au),
                    "https://w3id.org/xapi/cmi5/context/extensions/moveon": session.au.move_on,
                },
            },
        }

    # --- what tests read --------------------------------------------------------------------

    def au_statements(self, registration: str | None = None) -> list[dict]:
        """What AUs sent (not the LMS's "launched"), in the order stored."""
        with self.lock:
            return [
                s
                for s in self.statements
                if s["verb"]["id"] != VERBS["launched"]
                and (registration is None or s["context"]["registration"] == registration)
            ]

    def verbs(self, registration: str | None = None) -> list[str]:
        return [s["verb"]["id"].rsplit("/", 1)[1] for s in self.au_statements(registration)]

    def saved_state(self, au_id: str, registration: str, state_id: str, learner: str = "learner-1") -> dict:
        actor = {"objectType": "Agent", "account": {"homePage": self.base_url, "name": learner}}
        with self.lock:
            data = self.state.get((au_id, _canonical(actor), state_id, registration))
        return {} if data is None else json.loads(data)

    # --- the fetch URL ----------------------------------------------------------------------

    def fetch(self, key: str) -> dict:
        with self.lock:
            session = next((s for s in self.sessions.values() if s.fetch_key == key), None)
            if session is None:
                return {"error-code": "2", "error-text": "Unknown fetch URL."}
            if session.fetched:
                return {"error-code": "1", "error-text": "The authorization token has already been returned."}
            session.fetched = True
            return {"auth-token": session.token}

    def session_for(self, authorization: str | None) -> Session:
        scheme, _, token = (authorization or "").partition(" ")
        with self.lock:
            session = self.sessions.get(token) if scheme == "Basic" else None
        if session is None or not session.fetched:
            raise Refused(401, "no valid Authorization header (Basic <auth-token from the fetch URL>)")
        return session

    # --- statements and their cmi5 rules ------------------------------------------------------

    def receive(self, session: Session, body: object) -> list[str]:
        batch = body if isinstance(body, list) else [body]
        with self.lock:
            trial = copy.deepcopy(session)
            registration = copy.deepcopy(self.registrations)
            known = {s["id"]: s for s in self.statements}
            fresh: list[dict] = []
            for statement in batch:
                try:
                    if not isinstance(statement, dict):
                        raise Refused(400, "a statement must be a JSON object")
                    if statement.get("id") in known:
                        if _canonical(known[statement["id"]]) != _canonical(statement):
                            raise Refused(409, f"statement id {statement['id']} reused for another statement")
                        continue  # a resend of a stored statement
                    check(trial, registration, statement)
                except Refused as refused:
                    self.rejected.append((statement, str(refused)))
                    raise
                known[statement["id"]] = statement
                fresh.append(statement)
            session.__dict__.update(trial.__dict__)
            self.registrations = registration
            self.statements.extend(fresh)
        return [s["id"] for s in batch if isinstance(s, dict)]

    # --- the State API ----------------------------------------------------------------------

    def state_key(self, session: Session, query: dict[str, list[str]]) -> tuple[str, str, str, str]:
        def one(name: str) -> str:
            values = query.get(name)
            if not values:
                raise Refused(400, f"State API request without {name}")
            return values[0]

        activity, state_id = one("activityId"), one("stateId")
        try:
            agent = json.loads(one("agent"))
        except ValueError:
            raise Refused(400, "agent is not JSON") from None
        registration = query.get("registration", [""])[0]
        if agent != session.actor or activity != session.au.id or registration != session.registration:
            raise Refused(403, "State API access for another learner, activity or registration")
        return (activity, _canonical(agent), state_id, registration)


class _Handler(BaseHTTPRequestHandler):
    lms: Cmi5Lms

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Experience-API-Version", "1.0.3")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: object) -> None:
        self._send(status, json.dumps(payload).encode())

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        with self.lms.lock:
            self.lms.requests.append((method, url.path, self.headers.get("Authorization", "")))
        try:
            if url.path.startswith("/content/") and method == "GET":
                self._static(url.path.removeprefix("/content/"))
            elif url.path.startswith("/fetch/"):
                if method != "POST":
                    raise Refused(405, "the fetch URL takes POST only (cmi5 8.2.1)")
                self._json(200, self.lms.fetch(url.path.removeprefix("/fetch/")))
            elif url.path == "/returned":
                self._send(200, RETURNED_PAGE, "text/html")
            elif url.path.startswith("/xapi/"):
                self._xapi(method, url.path.removeprefix("/xapi/"), parse_qs(url.query))
            else:
                raise Refused(404, "not found")
        except Refused as refused:
            self._json(refused.status, {"error": str(refused)})

    def _static(self, relative: str) -> None:
        target = (self.lms.root / relative).resolve()
        if not target.is_relative_to(self.lms.root) or not target.is_file():
            raise Refused(404, "no such file")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        self._send(200, target.read_bytes(), content_type)

    def _xapi(self, method: str, resource: str, query: dict[str, list[str]]) -> None:
        session = self.lms.session_for(self.headers.get("Authorization"))
        if not (self.headers.get("X-Experience-API-Version") or "").startswith("1.0"):
            raise Refused(400, "X-Experience-API-Version header missing")
        if resource == "statements" and method == "POST":
            with self.lms.lock:
                down, self.lms.fail_next = self.lms.fail_next > 0, max(0, self.lms.fail_next - 1)
            if down:
                raise Refused(503, "the LRS is down for a moment")
            try:
                body = json.loads(self._body())
            except ValueError:
                raise Refused(400, "statements body is not JSON") from None
            self._json(200, self.lms.receive(session, body))
        elif resource == "activities/state":
            key = self.lms.state_key(session, query)
            if method == "GET":
                with self.lms.lock:
                    data = self.lms.state.get(key)
                if data is None:
                    raise Refused(404, "no such state document")
                self._send(200, data)
            elif method in ("PUT", "POST"):
                if key[2] == "LMS.LaunchData":
                    raise Refused(403, "LMS.LaunchData is the LMS's")
                body = self._body()
                try:
                    json.loads(body)
                except ValueError:
                    raise Refused(400, "state document is not JSON") from None
                with self.lms.lock:
                    self.lms.state[key] = body
                self._send(204)
            else:
                raise Refused(405, "method not allowed")
        elif resource == "agents/profile" and method == "GET":
            raise Refused(404, "no learner preferences")
        else:
            raise Refused(404, f"unknown xAPI resource {method} {resource}")


def read_course(structure: bytes) -> tuple[str, dict[str, Au]]:
    """The course id and the AUs of a cmi5.xml, as an LMS imports them."""
    root = etree.fromstring(structure)
    aus = {}
    for au in root.iter(f"{CMI5_NS}au"):
        mastery = au.get("masteryScore")
        aus[au.get("id")] = Au(
            au.get("id"),
            au.findtext(f"{CMI5_NS}url").strip(),
            au.get("moveOn", "NotApplicable"),
            float(mastery) if mastery is not None else None,
        )
    return root.find(f"{CMI5_NS}course").get("id"), aus


@contextmanager
def cmi5_lms(package: Path) -> Iterator[Cmi5Lms]:
    """The LMS with `package` (a cmi5 course zip) imported, serving on 127.0.0.1."""
    with TemporaryDirectory(prefix="skarp-cmi5-") as folder:
        root = Path(folder).resolve()
        with zipfile.ZipFile(package) as archive:
            archive.extractall(root)
        course_id, aus = read_course((root / "cmi5.xml").read_bytes())
        lms = Cmi5Lms(root=root, course_id=course_id, aus=aus)
        handler = type("Handler", (_Handler,), {"lms": lms})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        lms.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        try:
            yield lms
        finally:
            httpd.shutdown()
            httpd.server_close()
