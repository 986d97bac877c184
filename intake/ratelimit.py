"""How rate limits count and what happens when their storage is down.

Counters are kept per client address (`request.remote_addr`; behind PROXY_FIX_HOPS proxies,
werkzeug's ProxyFix takes it from X-Forwarded-For, and without proxies that header is ignored,
so nobody picks their own address) in Redis whenever REDIS_URL is set (config.py), so every web
process counts against the same limit.

When the storage cannot be reached the limit can neither be counted nor enforced. By default a
limited route then refuses the request (503): the login, the API and the resume-link email fail
closed. The pages that show crisis help (the form's steps, which save safety answers and raise
the alarm, and the whole-form post) are marked `fail_open`: they are served unlimited, with one
log line a minute at most, because crisis help must always show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, render_template
from limits.errors import StorageError
from werkzeug.middleware.proxy_fix import ProxyFix

from intake.errors import MESSAGES, problem, wants_json

log = logging.getLogger(__name__)

LOG_EVERY = 60.0  # seconds between two log lines about the storage being down, per mode
_last_logged: dict[str, float] = {}

F = TypeVar("F", bound=Callable[..., Any])


def _note(mode: str, exc: StorageError) -> None:
    """Log that the storage is down, at most once a minute per mode (no flood in an outage)."""
    now = time.monotonic()
    if now - _last_logged.get(mode, -LOG_EVERY) < LOG_EVERY:
        return
    _last_logged[mode] = now
    cause = type(getattr(exc, "storage_error", exc)).__name__
    if mode == "open":
        log.warning(
            "rate-limit storage unavailable (%s): crisis pages served without limits", cause
        )
    else:
        log.error("rate-limit storage unavailable (%s): limited requests refused (503)", cause)


def fail_open(view: F) -> F:
    """Serve `view` without its limit when the limit's storage is down (put it above
    `@limiter.limit`). Only for pages whose refusal would hide crisis help."""
    original: Callable[..., Any] = getattr(view, "__wrapped__")  # noqa: B009 - what limit wrapped

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except StorageError as exc:  # raised by the limit check, before the view ran
            _note("open", exc)
            return current_app.ensure_sync(original)(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def _storage_down(exc: StorageError) -> Any:
    """Every other limited route fails closed: nothing is done, the client may retry."""
    _note("closed", exc)
    if wants_json():
        response = problem(503, "Please try again in a minute.")
    else:
        response = current_app.make_response(
            (render_template("errors/error.html", status=503, message=MESSAGES[503]), 503)
        )
    response.headers["Retry-After"] = "60"
    return response


def init_app(app: Flask) -> None:
    """Trust X-Forwarded-For from exactly PROXY_FIX_HOPS proxies; refuse on a storage error."""
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.register_error_handler(StorageError, _storage_down)
