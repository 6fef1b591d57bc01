"""A recording LMS back end for the browser tests: a real HTTP endpoint on 127.0.0.1.

It serves the same web root as the SCORM player (scorm_builder.player.prepare_web_root: packages, player,
node_modules) and adds the endpoints of scorm_builder/player/sync-player.html:

    POST /lms/commit?attempt=K   a commit (scorm-again's flattened CMI data); merged into the
                                 attempt's state element by element, as Moodle keeps its tracks
    GET  /lms/state?attempt=K    the attempt's state, what a next launch resumes from

Tests read what arrived from the `RecordingLms` object directly, and can make the next commits fail.
"""

from __future__ import annotations

import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from scorm_builder.player import prepare_web_root


@dataclass
class RecordingLms:
    base_url: str = ""
    commits: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    state: dict[str, dict[str, str]] = field(default_factory=dict)
    fail_next: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def receive(self, attempt: str, data: dict[str, str]) -> bool:
        with self.lock:
            if self.fail_next.get(attempt, 0) > 0:
                self.fail_next[attempt] -= 1
                self.failed[attempt] = self.failed.get(attempt, 0) + 1
                return False
            self.commits.setdefault(attempt, []).append(data)
            self.state.setdefault(attempt, {}).update(data)
            return True

    def held(self, attempt: str) -> dict[str, str]:
        with self.lock:
            return dict(self.state.get(attempt, {}))

    def answers(self, attempt: str) -> list[dict[str, str]]:
        """cmi.interactions.n.* the LMS holds, by n."""
        held = self.held(attempt)
        journal: dict[int, dict[str, str]] = {}
        for key, value in held.items():
            parts = key.split(".", 3)
            if key.startswith("cmi.interactions.") and parts[2].isdigit():
                journal.setdefault(int(parts[2]), {})[parts[3]] = value
        return [journal[n] for n in sorted(journal)]


class _Handler(SimpleHTTPRequestHandler):
    lms: RecordingLms

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _json(self, status: int, payload: object) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _attempt(self) -> str:
        return parse_qs(urlsplit(self.path).query).get("attempt", ["sandbox"])[0]

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/lms/state":
            self._json(200, self.lms.held(self._attempt()))
        else:
            super().do_GET()

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/lms/commit":
            self._json(404, {"error": "unknown endpoint"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        try:
            data = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._json(400, {"result": False, "errorCode": 101})
            return
        flat = {str(k): "" if v is None else str(v) for k, v in data.items()}
        if self.lms.receive(self._attempt(), flat):
            self._json(200, {"result": True, "errorCode": 0})
        else:
            self._json(500, {"result": False, "errorCode": 101})


@contextmanager
def recording_lms(packages: list[Path]) -> Iterator[RecordingLms]:
    with tempfile.TemporaryDirectory(prefix="skarp-lms-") as folder:
        root = prepare_web_root(packages, Path(folder))
        lms = RecordingLms()
        handler = type("Handler", (_Handler,), {"lms": lms})
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        lms.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
        try:
            yield lms
        finally:
            httpd.shutdown()
            httpd.server_close()
