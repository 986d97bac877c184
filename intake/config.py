"""Settings: defaults that run on one laptop, then environment variables, then a mapping.

Nothing here runs at import time; `load_config` is called by `create_app`. Every environment
variable read here is listed, with a one-line comment, in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEV_SECRET_KEY = "dev-only-not-a-secret"  # noqa: S105 - the value the app refuses outside dev/tests

# Environment variables read as strings and where they go.
_ENV_STRINGS = (
    "APP_ENV",
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_HOST",
    "SECRET_KEY",
    "BASE_URL",
    "MAIL_FROM",
    "PRACTICE_PHONE",
    "PRACTICE_HOURS",
    "RATELIMIT_STORAGE_URI",
    "API_RATE_LIMIT",
    "MAILBOX_DIR",
    "EMBEDDED_BROKER_URL",
)
_ENV_INTS = ("SMTP_PORT", "SMTP_TIMEOUT", "OUTBOX_SWEEP_SECONDS", "OUTBOX_GRACE_SECONDS")
_ENV_BOOLS = ("RATELIMIT_ENABLED", "SMTP_STARTTLS", "SESSION_COOKIE_SECURE")


class ConfigError(RuntimeError):
    """The settings cannot run safely (e.g. a development secret outside development)."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that work on a fresh laptop: SQLite, an embedded broker, a local mailbox."""
    instance = Path(instance_path)
    return {
        "APP_ENV": "development",
        "SECRET_KEY": DEV_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{instance / 'wayfinder.sqlite'}",
        "REDIS_URL": None,
        "BROKER_URL": None,  # derived: REDIS_URL or the embedded SQLite broker
        "EMBEDDED_BROKER_URL": f"sqla+sqlite:///{instance / 'broker.sqlite'}",
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_TIMEOUT": 15,
        "SMTP_STARTTLS": False,
        "MAILBOX_DIR": str(instance / "mailbox"),
        "MAIL_FROM": "Wayfinder <no-reply@wayfinder.invalid>",
        "BASE_URL": "http://127.0.0.1:5000",
        "PRACTICE_PHONE": "+1-800-555-0199",
        "PRACTICE_HOURS": "Monday to Friday, 8 am to 6 pm Eastern",
        "DISPATCH_TASKS": True,  # send tasks to the broker after commit (tests may turn off)
        "OUTBOX_SWEEP_SECONDS": 10,  # beat: how often pending rows are re-dispatched
        "OUTBOX_GRACE_SECONDS": 15,  # a pending row older than this is re-dispatched
        "NOTIFY_MAX_ATTEMPTS": 8,
        "SEND_LEASE_SECONDS": 120,  # a 'sending' claim older than this may be taken again
        "RATELIMIT_ENABLED": True,
        "API_RATE_LIMIT": "60 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": 6 * 3600,  # a long form may take a while to fill
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "MIGRATIONS_DIR": str(Path(__file__).resolve().parent.parent / "migrations"),
        "BEAT_SCHEDULE_FILE": str(instance / "celerybeat-schedule"),
        "SHOW_DEV_MAILBOX": None,  # derived: True in development
    }


def _env_bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings that the environment sets; unset and empty variables are left out."""
    found: dict[str, Any] = {}
    for name in _ENV_STRINGS:
        if environ.get(name):
            found[name] = environ[name]
    for name in _ENV_INTS:
        if environ.get(name):
            found[name] = int(environ[name])
    for name in _ENV_BOOLS:
        if environ.get(name):
            found[name] = _env_bool(environ[name])
    return found


def load_config(
    instance_path: str,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Defaults, then the environment, then `overrides` (tests pass a mapping); then derive."""
    settings = defaults(instance_path)
    settings.update(from_environment(os.environ if environ is None else environ))
    settings.update(overrides or {})
    return finish(settings)


def finish(settings: dict[str, Any]) -> dict[str, Any]:
    """Derive the settings that depend on others, and refuse unsafe combinations."""
    env = settings["APP_ENV"]
    if env not in {"development", "testing", "production"}:
        raise ConfigError(f"APP_ENV must be development, testing or production, not {env!r}")
    if env == "production" and settings["SECRET_KEY"] in {DEV_SECRET_KEY, "", None}:
        raise ConfigError(
            "SECRET_KEY is the development secret: set a real one outside development"
        )
    url = settings["DATABASE_URL"]
    if url.startswith("postgres://"):  # the form some hosts hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    settings["DATABASE_URL"] = url
    settings["SQLALCHEMY_DATABASE_URI"] = url
    settings.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(url))
    if not settings.get("BROKER_URL"):
        settings["BROKER_URL"] = settings["REDIS_URL"] or settings["EMBEDDED_BROKER_URL"]
    if settings["SHOW_DEV_MAILBOX"] is None:
        settings["SHOW_DEV_MAILBOX"] = env == "development" and not settings["SMTP_HOST"]
    settings["TESTING"] = env == "testing" or bool(settings.get("TESTING"))
    if env == "production":
        settings["SESSION_COOKIE_SECURE"] = True
    return settings


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Web, worker and beat share one file: wait for a lock instead of failing at once.
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}
