"""A hostile or broken platform on a real socket: serves what a test tells it to, and records every
connection and request, so a test can show the tool sent nothing at all."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, handler, platform: FakePlatform):
        self.platform = platform
        super().__init__(address, handler)

    def verify_request(self, request, client_address) -> bool:
        self.platform.connections += 1  # every accepted connection, before a byte is read
        return True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _route(self) -> None:
        platform: FakePlatform = self.server.platform  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        platform.requests.append((self.command, path, dict(self.headers), body))
        route = platform.routes.get(path)
        if route is None:
            send(self, 404, {"error": "not found"})
        else:
            route(self)

    do_GET = do_POST = _route

    def log_message(self, *args) -> None:  # quiet
        pass


def send(handler: BaseHTTPRequestHandler, status: int, body, headers: dict | None = None) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    handler.send_response(status)
    for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def stream(handler: BaseHTTPRequestHandler, total: int, *, chunk: int = 65536, pause: float = 0.0) -> None:
    """An answer of `total` bytes without Content-Length (the connection closes at the end)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.close_connection = True
    sent = 0
    try:
        while sent < total:
            handler.wfile.write(b" " * min(chunk, total - sent))
            handler.wfile.flush()
            sent += chunk
            if pause:
                time.sleep(pause)
    except OSError:
        pass
    handler.server.platform.bytes_streamed = sent  # type: ignore[attr-defined]


@dataclass
class FakePlatform:
    host: str = "127.0.0.1"
    port: int = 0
    connections: int = 0
    bytes_streamed: int = 0
    requests: list = field(default_factory=list)
    routes: dict[str, Route] = field(default_factory=dict)
    config_overrides: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def configuration(self) -> dict:
        config = {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/auth",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/jwks.json",
            "registration_endpoint": f"{self.url}/register",
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {"product_family_code": "fake"},
        }
        config.update(self.config_overrides)
        return config

    def default_routes(self) -> None:
        self.routes["/.well-known/openid-configuration"] = lambda h: send(h, 200, self.configuration())
        self.routes["/register"] = lambda h: send(
            h,
            200,
            {
                "client_id": f"client-{len(self.requests)}",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "dep-1"},
            },
        )

    @property
    def openid_configuration(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def paths(self) -> list[str]:
        return [path for _method, path, _headers, _body in self.requests]


@contextmanager
def running(host: str = "127.0.0.1") -> Iterator[FakePlatform]:
    platform = FakePlatform(host=host)
    server = _Server((host, 0), _Handler, platform)
    platform.port = server.server_address[1]
    platform.default_routes()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
