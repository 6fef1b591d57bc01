"""The floor for the LTI benchmark: a bare Flask endpoint that only verifies an RS256 JWT.

    gunicorn 'benchmarks.jwt_floor:create_app()'   (JWT_PUBLIC_KEY_PEM in the environment)

A launch can never be cheaper than this: everything the tool does beyond it (state, nonce, keys,
claims, the launch record) is overhead to measure against it.
"""

from __future__ import annotations

import os

import jwt
from flask import Flask, request


def create_app() -> Flask:
    app = Flask(__name__)
    public_key = os.environ["JWT_PUBLIC_KEY_PEM"]
    audience = os.environ.get("JWT_AUDIENCE")

    @app.post("/verify")
    def verify():
        try:
            jwt.decode(request.form["id_token"], public_key, algorithms=["RS256"], audience=audience)
        except jwt.InvalidTokenError as error:
            return {"error": str(error)}, 400
        return {"ok": True}

    @app.get("/healthz")
    def healthz():  # the benchmark waits for it, as for the tool
        return {"ok": True}

    return app
