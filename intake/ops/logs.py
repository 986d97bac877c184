"""Structured logs: with `LOG_FORMAT=json`, one JSON object per line for every log record of
the web, worker and beat processes; plain text (the default, as on `make run`) otherwise.

Each line has time, level, logger, message and, when known, the request id, user id, intake
id and task id. Those come from context variables set here (per request, per task), never from
a form: what a record says is only what the code wrote in its message, and no code logs an
answer, a name or a contact (tests/web/test_ops_logs.py holds that with a canary value).

The request id is taken from `X-Request-ID` when it is a plain token (else a new one is made),
returned in the response's `X-Request-ID`, and put in the headers of every task published while
the request runs, so the worker's lines for that task carry it too.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from celery import signals
from flask import Flask, Response, g, request

from intake.config import ConfigError

REQUEST_ID_HEADER = "X-Request-ID"
TASK_HEADER = "wayfinder_request_id"  # the Celery message header that carries it
LOG_FORMATS = ("text", "json")
# A request id from outside is kept only if it is a short plain token (never free text).
_TOKEN = re.compile(r"[A-Za-z0-9._:-]{1,64}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
user_id_var: ContextVar[int | None] = ContextVar("user_id", default=None)
intake_id_var: ContextVar[int | None] = ContextVar("intake_id", default=None)
task_id_var: ContextVar[str | None] = ContextVar("task_id", default=None)
_CONTEXT: dict[str, ContextVar[Any]] = {
    "request_id": request_id_var,
    "user_id": user_id_var,
    "intake_id": intake_id_var,
    "task_id": task_id_var,
}

request_log = logging.getLogger("intake.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per record; exceptions by type and stack frames (no message text,
    which can quote data: intake.errors holds exception logging to the same rule)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in _CONTEXT.items():
            value = var.get()
            if value is not None:
                entry[name] = value
        for name in ("event", "method", "endpoint", "status", "duration_ms"):
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, separators=(",", ":"), default=str)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours: a second set-up replaces it instead of adding another."""


def configure(log_format: str, level: str = "INFO") -> None:
    """Make the root logger write `log_format` to stderr (json), or leave text to the caller."""
    if log_format != "json":
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _Handler):
            root.removeHandler(handler)
        else:
            handler.setFormatter(JsonFormatter())
    handler = _Handler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that keep their own handlers write JSON too (gunicorn's error log, Celery's).
    for name in ("gunicorn.error", "celery", "celery.task", "celery.worker", "celery.beat"):
        for own in logging.getLogger(name).handlers:
            own.setFormatter(JsonFormatter())


def _incoming_request_id() -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _TOKEN.fullmatch(given) else uuid.uuid4().hex


def init_app(app: Flask) -> None:
    """Request ids in and out, a JSON line per request, and logging set up for Celery too."""
    if app.config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    json_logs = app.config["LOG_FORMAT"] == "json"
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    if json_logs:
        _connect_celery_logging(app.config["LOG_LEVEL"])

    @app.before_request
    def start() -> None:
        g.request_id = _incoming_request_id()
        g.request_started = time.perf_counter()
        request_id_var.set(g.request_id)
        found = (request.view_args or {}).get("intake_id")
        if isinstance(found, int):
            intake_id_var.set(found)

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        login = g.get("_login_user")  # only if this request already loaded the user
        if login is not None and getattr(login, "is_authenticated", False):
            user_id_var.set(int(login.id))
        if json_logs and "request_started" in g:
            request_log.info(
                "request",
                extra={
                    "event": "request",
                    "method": request.method,
                    "endpoint": request.endpoint or "none",
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                },
            )
        return response

    @app.teardown_request
    def clear(_exc: BaseException | None) -> None:
        for var in (request_id_var, user_id_var, intake_id_var):
            var.set(None)


@signals.before_task_publish.connect
def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """A task published during a request carries that request's id in its headers."""
    rid = request_id_var.get()
    if rid and headers is not None:
        headers[TASK_HEADER] = rid


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    _set_task(task_id, task)


@signals.task_postrun.connect
def _task_finished(**_: Any) -> None:
    for var in (task_id_var, request_id_var, user_id_var, intake_id_var):
        var.set(None)


def _set_task(tid: str | None, task: Any) -> None:
    task_id_var.set(tid)
    req = getattr(task, "request", None)
    rid = getattr(req, TASK_HEADER, None) or (getattr(req, "headers", None) or {}).get(TASK_HEADER)
    request_id_var.set(rid if isinstance(rid, str) and _TOKEN.fullmatch(rid) else None)


def _connect_celery_logging(level: str) -> None:
    """Celery's worker and beat set up logging themselves: with JSON chosen, they leave it to us."""

    def setup(**_: Any) -> None:
        configure("json", level)

    signals.setup_logging.connect(setup, weak=False, dispatch_uid="wayfinder-json-logs")
