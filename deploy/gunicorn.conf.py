"""Production: `gunicorn -c deploy/gunicorn.conf.py 'lti_app:create_app()'`.

Stateless workers: sessions, launch data and nonces live in Redis, everything else in PostgreSQL,
so any worker on any machine can serve any request. Run behind a TLS-terminating proxy that sets
X-Forwarded-Proto/Host (the app trusts PROXY_HOPS of them, 1 by default in production).
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
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
