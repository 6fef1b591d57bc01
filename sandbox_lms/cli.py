"""The sandbox LMS's command line: ``python -m sandbox_lms serve`` (the LMS alone) and
``python -m sandbox_lms demo`` (the LMS, the Skarp tool and the SCORM player together, as `make demo` runs).

It lives here, not in ``flask --app lti_app``, because the sandbox is a development LMS that the product
never imports and never ships; the demo is the one place that knows both sides.
"""

from __future__ import annotations

from pathlib import Path

import click

from .app import DEFAULT_BASE_URL, create_sandbox_app


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Skarp's sandbox LMS: an LTI 1.3 platform for the demo, the tests and the benchmarks."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--base-url", help=f"The issuer and public URL (default {DEFAULT_BASE_URL} for the port).")
@click.option("--database-url", help="SQLAlchemy URL (default: a SQLite file in instance/).")
def serve(host: str, port: int, base_url: str | None, database_url: str | None) -> None:
    """Run the sandbox LMS alone (register a tool from its home page)."""
    config = {"SANDBOX_BASE_URL": base_url or f"http://{host}:{port}"}
    if database_url:
        config["SANDBOX_DATABASE_URL"] = database_url
    create_sandbox_app(config).run(host=host, port=port, threaded=True)


@main.command()
@click.option("--port", "tool_port", default=5000, show_default=True, help="The tool's port (localhost).")
@click.option("--sandbox-port", default=8000, show_default=True, help="The sandbox LMS's port (127.0.0.1).")
@click.option("--scorm", type=click.Path(path_type=Path), default=None, help="Also serve these SCORM zips.")
@click.option("--scorm-port", default=8001, show_default=True)
def demo(tool_port: int, sandbox_port: int, scorm: Path | None, scorm_port: int) -> None:
    """Run the Skarp tool with a local sandbox LMS (and optionally the SCORM player)."""
    from . import demo as demo_module  # imports lti_app: only the demo needs the tool installed

    demo_module.run(tool_port=tool_port, sandbox_port=sandbox_port, scorm=scorm, scorm_port=scorm_port)
