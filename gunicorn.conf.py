"""Gunicorn settings read from the working directory (docker-compose.yml, `make run`).

Metrics in multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, every worker process writes
its counters to files in that folder, and /metrics adds them up (intake/ops/metrics.py). The
folder is emptied when the server starts (figures of a previous run would be counted again)
and a dead worker's live gauges are dropped.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any


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
