"""Live WSGI servers on 127.0.0.1 for full flows over real HTTP (the tool and the sandbox LMS)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(app, port: int) -> Iterator[None]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class LoopbackBrowser(requests.Session):
    """Browsers treat http://localhost as a secure context and send it `Secure` cookies; requests
    does not, so cookies from loopback hosts are kept without the flag, as a browser would use them."""

    LOOPBACK = ("localhost.local", "localhost", "127.0.0.1")

    def send(self, request, **kwargs):
        response = super().send(request, **kwargs)
        for cookie in self.cookies:
            if cookie.domain.lstrip(".") in self.LOOPBACK:
                cookie.secure = False
        return response


def browser_like_session() -> requests.Session:
    return LoopbackBrowser()
