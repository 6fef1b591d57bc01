"""``python -m lti_app.sandbox``: run the sandbox LMS on 127.0.0.1:8000 for demos and manual testing."""

from __future__ import annotations

import argparse

from .app import DEFAULT_BASE_URL, create_sandbox_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lti_app.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--base-url", help=f"the issuer and public URL (default {DEFAULT_BASE_URL} for the port)"
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: a SQLite file in instance/)")
    args = parser.parse_args(argv)
    config = {"SANDBOX_BASE_URL": args.base_url or f"http://{args.host}:{args.port}"}
    if args.database_url:
        config["SANDBOX_DATABASE_URL"] = args.database_url
    create_sandbox_app(config).run(host=args.host, port=args.port, threaded=True)


if __name__ == "__main__":
    main()
