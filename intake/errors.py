"""Error pages and problem+json: every failure is a clear message, never a stack trace.

A server error rolls the database session back before its page is drawn (a failed flush would
otherwise fail the error page too) and is logged by exception type, endpoint and an incident
code shown on the page: never the exception's message, which can quote SQL parameters or
request data (PHI). Flask's own exception log is held to the same rule (`App`,
`NoExceptionText`).

The database away (refused, restarting, timed out, or the pool out of connections) is not a
server error: it is a 503 with `Retry-After` (`database_unavailable`), logged once a minute at
most, and its page never needs the database itself (the signed-in user is not loaded again).
"""

from __future__ import annotations

import logging
import secrets
import time
import traceback
from types import TracebackType
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from intake.crypto import UndecryptableValue
from intake.extensions import db, login_manager

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]

MESSAGES = {
    400: "We couldn't read that request.",
    401: "Authentication is needed for this.",
    403: "You don't have access to this page.",
    404: "We couldn't find that page.",
    405: "That action isn't allowed here.",
    413: "That was more than we can accept in one go.",
    422: "Some fields need attention.",
    429: "Too many requests. Please wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost.",
    503: "The service is busy. Please try again in a minute.",
}

# The exceptions that can mean "the database is away"; `database_unavailable` decides.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sa_exc.DBAPIError, sa_exc.TimeoutError)
RETRY_AFTER = "10"  # seconds: a restart or fail-over usually takes about this long
UNAVAILABLE = "The system is briefly unavailable. Please try again in a minute."
LOG_EVERY = 60.0  # seconds between two log lines about the database being away
_last_logged: list[float] = []


def wants_json() -> bool:
    return request.path.startswith("/api/")


def problem(status: int, detail: str, **extra: Any) -> Any:
    body = {
        "type": "about:blank",
        "title": MESSAGES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response


def incident() -> str:
    """A short random code for this request's failure: logged, and shown on the error page so
    a report can be matched to the log line (which never holds the request's data)."""
    if "incident" not in g:
        g.incident = secrets.token_hex(4)
    code: str = g.incident
    return code


def _where() -> str:
    """The method and endpoint of the failed request: never its path (a resume link's path is
    its token) nor its query string or body (PHI)."""
    return f"{request.method} {request.endpoint or '(no endpoint)'}"


def _roll_back(exc: BaseException) -> None:
    """Roll back first, so the error page (which may ask for the signed-in user) can query.

    A failed flush leaves the session unusable until it is rolled back; without this the error
    page itself would fail. If even the rollback fails (the database is gone), say so by type.
    """
    try:
        db.session.rollback()
    except Exception as rollback_error:  # the page is still worth trying
        log.error(
            "rollback after %s failed: %s (incident %s)",
            type(exc).__name__,
            type(rollback_error).__name__,
            incident(),
        )


def database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` says the database cannot be reached or answer now (worth a retry), as
    opposed to a bug (an integrity or programming error, which stays a 500).

    Connection refused or lost, a server restarting or shutting down, a statement or lock
    timeout (all `OperationalError`), a closed connection (`InterfaceError`), a connection that
    SQLAlchemy invalidated, and no free connection in the pool within `pool_timeout`.
    """
    if isinstance(exc, sa_exc.TimeoutError):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(
            exc, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def database_down(exc: BaseException) -> None:
    """After the database failed a request: roll back, stop the signed-in user from being
    loaded again (every page's header asks for it), and log once a minute at most."""
    _roll_back(exc)
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request cache
    now = time.monotonic()
    if _last_logged and now - _last_logged[0] < LOG_EVERY:
        return
    _last_logged[:] = [now]
    log.warning(
        "database unavailable (%s) on %s: answered 503 (incident %s)",
        type(exc).__name__,
        _where(),
        incident(),
    )


def unavailable_page() -> Any:
    """The 503 page for people (staff, or a page that cannot be shown without its data)."""
    response = current_app.make_response(
        (render_template("errors/unavailable.html", message=UNAVAILABLE), 503)
    )
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def unavailable_problem() -> Any:
    """The 503 problem+json for API clients: nothing was stored; retry (with the same
    Idempotency-Key) after `Retry-After` seconds."""
    response = problem(
        503,
        "The database is briefly unavailable and nothing was stored. "
        "Please retry after the number of seconds in Retry-After.",
    )
    response.headers["Retry-After"] = RETRY_AFTER
    return response


def handle_database_error(exc: Exception) -> Any:
    """A database error: the database away is a 503; anything else is a server error."""
    if not database_unavailable(exc):
        return handle_unexpected(exc)
    database_down(exc)
    return unavailable_problem() if wants_json() else unavailable_page()


def handle_undecryptable(exc: Exception) -> Any:
    """Stored data that no key in ENCRYPTION_KEYS opens: the keys are misconfigured (one
    dropped too soon, or the wrong set). Nothing is wrong with the request, and nothing may be
    shown or guessed: a 503 that says so, and a log line an operator can act on."""
    _roll_back(exc)
    log.error(
        "stored data could not be decrypted on %s: ENCRYPTION_KEYS lacks the key it was "
        "written with (incident %s); see docs/operations.md, 'Encryption keys'",
        _where(),
        incident(),
    )
    return _server_error(503)


def handle_unexpected(exc: Exception) -> Any:
    _roll_back(exc)
    # The type and the code path only: an exception's message can quote request data or
    # SQL parameters (PHI), so it is never logged.
    frames = "".join(traceback.format_tb(exc.__traceback__)[-6:])
    log.error(
        "unhandled %s on %s (incident %s)\n%s",
        type(exc).__name__,
        _where(),
        incident(),
        frames,
    )
    return _server_error(500)


class App(Flask):
    """Flask whose exception log names the type, the endpoint and the incident code only.

    Flask's own `log_exception` ("Exception on /path [GET]" and the traceback) runs when an
    exception escapes every handler; the traceback's last line is the exception's message,
    which can quote SQL parameters or request data (PHI). This one logs the code path only.
    """

    def handle_exception(self, e: Exception) -> Any:
        """An exception that escaped every handler: raised while finishing a response (an
        `after_request` function, saving the session), where no error handler sees it. The
        database away is still the same 503 it would have been inside the view, in tests too
        (PROPAGATE_EXCEPTIONS); anything else goes Flask's way, to the 500 page."""
        if database_unavailable(e):
            return self.finalize_request(handle_database_error(e), from_error_handler=True)
        return super().handle_exception(e)

    def log_exception(self, exc_info: ExcInfo) -> None:
        _kind, exc, tb = exc_info
        frames = "".join(traceback.format_tb(tb)[-6:])
        self.logger.error(
            "unhandled %s on %s (incident %s)\n%s",
            type(exc).__name__,
            _where(),
            incident(),
            frames,
        )


class NoExceptionText(logging.Filter):
    """For Flask's own logger: a record's exception keeps its type and code path, never its
    message (Flask also logs `logger.exception(...)` when finishing an error response fails)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = "".join(traceback.format_tb(exc.__traceback__)[-6:])
            record.msg = f"{record.getMessage()} [{type(exc).__name__}]\n{frames}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def init_app(app: Flask) -> None:
    if not any(isinstance(f, NoExceptionText) for f in app.logger.filters):
        app.logger.addFilter(NoExceptionText())

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        if wants_json():
            return problem(400, "The form's security token was missing or expired.")
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status >= 500:  # e.g. Flask's InternalServerError after an escaped exception
            _roll_back(exc)
            return _server_error(status)
        if wants_json():
            return problem(status, MESSAGES.get(status, exc.description or ""))
        return render_template(
            "errors/error.html", status=status, message=MESSAGES.get(status, exc.description)
        ), status

    for kind in DATABASE_ERRORS:
        app.register_error_handler(kind, handle_database_error)
    app.register_error_handler(UndecryptableValue, handle_undecryptable)
    app.register_error_handler(Exception, handle_unexpected)


def _server_error(status: int) -> Any:
    message = MESSAGES.get(status, MESSAGES[500])
    if wants_json():
        return problem(status, message, incident=incident())
    return render_template(
        "errors/error.html", status=status, message=message, incident=incident()
    ), status
