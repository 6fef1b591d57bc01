"""A cohort's synchronised start, for Locust: each simulated learner launches the mock exam from the
LMS (OIDC login, then the signed id_token), starts it, then answers a question every 30 seconds.

Run by benchmarks/cohort_benchmark.py, which starts the tool (gunicorn + PostgreSQL + Redis, grade
workers running), a sandbox LMS, and Locust headless with bounded users and time. It hands this file
what a platform would know (the tool's URLs, the client id, a resource link, the platform's signing
key) in the JSON file named by SKARP_COHORT. Every request goes to 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import time
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from locust import HttpUser, constant, task

SETUP = json.loads(open(os.environ["SKARP_COHORT"], encoding="utf-8").read())  # noqa: SIM115
KEY = serialization.load_pem_private_key(SETUP["private_pem"].encode(), password=None)  # parsed once
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LEARNERS = itertools.count()


class Learner(HttpUser):
    """One learner: a launch when spawned (so 1,000 spawned in 20 s is a synchronised start), then an
    answer every 30 seconds."""

    host = SETUP["tool_url"]
    wait_time = constant(30)

    def on_start(self) -> None:
        self.question_url: str | None = None
        self.sub = f"cohort-{os.getpid()}-{next(LEARNERS)}"
        self.answers = 0
        self._launch_and_start()

    def _loopback_cookies(self) -> None:
        """Browsers send Secure cookies to http://localhost (a secure context); requests does not."""
        for cookie in self.client.cookies:
            cookie.secure = False

    def _launch_and_start(self) -> None:
        login = self.client.get(
            "/lti/login", params={**SETUP["login_params"]}, allow_redirects=False, name="1 login"
        )
        self._loopback_cookies()
        if login.status_code != 302:
            return
        query = parse_qs(urlsplit(login.headers["Location"]).query)
        now = int(time.time())
        claims = {
            **SETUP["claims"],
            "sub": self.sub,
            "name": self.sub,
            "nonce": query["nonce"][0],
            "iat": now,
            "exp": now + 300,
        }
        token = jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": SETUP["kid"], "typ": "JWT"})
        launch = self.client.post(
            "/lti/launch",
            data={"id_token": token, "state": query["state"][0]},
            allow_redirects=False,
            name="2 launch",
        )
        self._loopback_cookies()
        if launch.status_code != 303:
            return
        intro = self.client.get(launch.headers["Location"], name="3 intro")
        found = CSRF.search(intro.text)
        if not found:
            return
        started = self.client.post(intro.url + "start", data={"csrf_token": found.group(1)}, name="4 start")
        self._loopback_cookies()
        found = CSRF.search(started.text)
        if started.ok and found:
            self.question_url, self.csrf = started.url, found.group(1)

    @task
    def answer(self) -> None:
        if self.question_url is None:
            return
        self.answers += 1
        self.client.post(
            self.question_url,
            data={"csrf_token": self.csrf, "choice": str(self.answers % 4), "go": "stay"},
            headers={"Accept": "application/json"},
            name="5 answer",
        )
