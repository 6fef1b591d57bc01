"""Production: `gunicorn -c deploy/gunicorn.conf.py 'lti_app:create_app()'` (deploy/skarp.service).

Stateless workers: sessions, launch data and nonces live in Redis, everything else in PostgreSQL,
so any worker on any machine can serve any request. Run behind a TLS-terminating proxy that sets
X-Forwarded-Proto/Host (the app trusts PROXY_HOPS of them, 1 by default in production).

Logs: the app writes one JSON line per request (route, status, duration, request id, platform and
deployment) to stderr, without launch ids or query strings; gunicorn's own access log would write
both (a launch id in a URL is a learner's capability, a query string may carry a registration
token), so it is off. gunicorn's error log (start, stop, worker timeouts) stays on stderr.

Metrics: with PROMETHEUS_MULTIPROC_DIR set (deploy/skarp.env.example), every process writes its
counters there and /metrics adds them up; child_exit tells prometheus_client that a worker is gone.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycling guards against slow leaks; each recycled process leaves its metrics file behind, which
# /metrics keeps adding up (right for counters) until the next boot or a restart of skarp.target.
max_requests = int(os.environ.get("MAX_REQUESTS", "2000"))
max_requests_jitter = 200
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """A gunicorn worker exited: drop its live gauges from the multiprocess metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
