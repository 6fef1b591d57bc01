"""``python -m sandbox_lms serve|demo``: the sandbox LMS alone, or the whole local demo (see cli.py)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    main(prog_name="python -m sandbox_lms")
