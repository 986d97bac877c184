"""Response headers (a strict CSP with no third-party origins, no caching of PHI pages), the
session store (intake/sessions.py), and the audit of refused requests on protected routes."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

from intake.services import access

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


# Blueprints whose refusals are audited (staff, clinicians, partner API).
PROTECTED_BLUEPRINTS = frozenset({"staff", "clinician", "api", "admin"})
DENIED = frozenset({401, 403, 404})


def init_app(app: Flask) -> None:
    from intake import sessions

    sessions.init_app(app)

    @app.after_request
    def audit_denied(response: Response) -> Response:
        """A 401/403/404 on a protected route is audited (HIPAA 164.312(b), ASVS 16.3.2)."""
        if response.status_code in DENIED and _protected():
            user = current_user._get_current_object() if current_user.is_authenticated else None
            rule = request.url_rule.rule if request.url_rule is not None else None
            access.record_denied(
                user,
                request.remote_addr,
                rule,
                dict(request.view_args or {}),
                response.status_code,
                request.method,
            )
        return response

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        if app.config["APP_ENV"] == "production":
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response


def _protected() -> bool:
    """A protected blueprint's route, or an unknown path below one of their prefixes."""
    if request.blueprint is not None:
        return request.blueprint.split(".")[0] in PROTECTED_BLUEPRINTS
    first = request.path.strip("/").split("/", 1)[0]
    return first in PROTECTED_BLUEPRINTS
