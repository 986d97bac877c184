"""Error pages and problem+json: every failure is a clear message, never a stack trace."""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: "We couldn't read that request.",
    403: "You don't have access to this page.",
    404: "We couldn't find that page.",
    405: "That action isn't allowed here.",
    413: "That was more than we can accept in one go.",
    429: "Too many requests. Please wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you entered was lost.",
    503: "The service is busy. Please try again in a minute.",
}


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


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        if wants_json():
            return problem(400, "The form's security token was missing or expired.")
        return render_template("errors/csrf.html"), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if wants_json():
            return problem(status, MESSAGES.get(status, exc.description or ""))
        return render_template(
            "errors/error.html", status=status, message=MESSAGES.get(status, exc.description)
        ), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        # The type and the code path only: an exception's message can quote request data or
        # SQL parameters (PHI), so it is never logged.
        frames = "".join(traceback.format_tb(exc.__traceback__)[-6:])
        log.error(
            "unhandled %s on %s %s\n%s", type(exc).__name__, request.method, request.path, frames
        )
        if wants_json():
            return problem(500, MESSAGES[500])
        return render_template("errors/error.html", status=500, message=MESSAGES[500]), 500
