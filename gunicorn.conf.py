"""Gunicorn settings read from the working directory: the one home of how the web process
serves (the Dockerfile and docker-compose.yml run `gunicorn wsgi:app` and nothing else).

Threaded workers (gthread): each of WEB_CONCURRENCY processes answers with GUNICORN_THREADS
threads. A connection that sends nothing is parked in the worker's poller, not on a thread
(ParkingThreadWorker), and closed after `keepalive` seconds; a slow client holds one thread at
most, so idle sockets, however many, and a few half-sent requests cannot take the site down
(tests/integration/test_serving.py). More half-sent requests than threads would: so gunicorn
is never published; nginx (deploy/nginx.conf) is in front, reads whole requests before passing
them on and cuts slow clients off itself. A request running longer than `timeout` seconds has its
worker restarted; on a restart or deploy, running requests get `graceful_timeout` to finish.

Metrics in multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, every worker process writes
its counters to files in that folder, and /metrics adds them up (intake/ops/metrics.py). The
folder is emptied when the server starts (figures of a previous run would be counted again)
and a dead worker's live gauges are dropped.
"""

from __future__ import annotations

import errno
import os
import selectors
import shutil
import time
from functools import partial
from pathlib import Path
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker


class ParkingThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, except that a new connection waits in the worker's poller
    until its first bytes arrive, as a kept-alive one does, instead of on a thread: gunicorn
    gives each new connection a thread for up to 5 s of silence, so a few idle sockets per
    thread would hold every request behind them for seconds. Silent ones are closed after
    `keepalive` seconds, and a thread is taken only by a connection that has something to read.
    """

    def accept(self, listener: Any) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, address, listener.getsockname())  # non-blocking
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(
            client, selectors.EVENT_READ, partial(self.on_pending_socket_readable, conn)
        )


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = ParkingThreadWorker  # threaded (gthread)
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 30  # a request this long (seconds) restarts its worker; nginx waits 35 s
graceful_timeout = 30  # SIGTERM: requests running get this long to finish
keepalive = 5  # an idle connection (kept alive, or one that has sent nothing yet) is closed
# Headers and request lines bounded (gunicorn's defaults, said here): a request cannot grow
# without end while it is read.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# Each worker is replaced after about this many requests (with jitter, not all at once).
max_requests = 5000
max_requests_jitter = 500
# Behind PROXY_FIX_HOPS proxies the app reads X-Forwarded-For itself (werkzeug's ProxyFix,
# intake/ratelimit.py); gunicorn's own handling of it is not used.
forwarded_allow_ips = "127.0.0.1"
# No control socket (gunicornc): nothing manages the server that way, and several servers on one
# machine would share its default path.
control_socket_disable = True


def on_starting(server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


# With LOG_FORMAT=json, gunicorn's own lines are JSON too. Its access log is left off in that
# mode: the app writes one line per request by endpoint (intake/ops/logs.py), whereas an access
# line would hold the full path, and a resume link's path is its token.
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "intake.ops.logs.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},  # the app adds its own (intake.ops.logs)
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        },
    }
    accesslog = None
