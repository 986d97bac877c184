"""`/healthz` (the process answers) and `/readyz` (it can do its work).

Readiness checks the database, that its schema is at the migrations' head, the broker and, when
mail goes by SMTP, the SMTP server; each with a short timeout, so that a load balancer's probe
never hangs. A failure answers 503 naming the failed checks, by name and exception type only
(never a message: a driver's message may quote a host, a user or a parameter).
"""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import current_app, jsonify
from kombu.connection import Connection
from sqlalchemy import text

from intake.extensions import db

CHECK_TIMEOUT = 2.0  # seconds, per dependency


def _database() -> str | None:
    db.session.execute(text("SELECT 1"))
    return None


@lru_cache(maxsize=4)
def _heads(migrations_dir: str) -> frozenset[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", migrations_dir)
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _migrations() -> str | None:
    rows = db.session.execute(text("SELECT version_num FROM alembic_version")).scalars()
    current = frozenset(rows)
    if current != _heads(str(current_app.config["MIGRATIONS_DIR"])):
        return "not at head"
    return None


def _broker() -> str | None:
    url = current_app.config["BROKER_URL"]
    options = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT}
    transport = options if url.startswith("redis") else {}
    connection = Connection(  # type: ignore[no-untyped-call]
        url, connect_timeout=CHECK_TIMEOUT, transport_options=transport
    )
    with connection as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    return None


def _smtp() -> str | None:
    cfg = current_app.config
    if cfg["MAILER"] != "smtp":
        return "not used"
    timeout = min(CHECK_TIMEOUT, float(cfg["SMTP_TIMEOUT"]))
    smtp = smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=timeout)
    try:
        code, _ = smtp.noop()
        if code != 250:
            return f"answered {code}"
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": _database,
    "migrations": _migrations,
    "broker": _broker,
    "smtp": _smtp,
}
# A result that is not a failure.
_FINE = {None, "not used"}


def readiness() -> tuple[dict[str, str], list[str]]:
    """Each check's result ("ok", "not used", or why it failed) and the names that failed."""
    results: dict[str, str] = {}
    failed: list[str] = []
    for name, check in CHECKS.items():
        if name == "migrations" and "database" in failed:
            results[name] = "skipped"
            failed.append(name)
            continue
        try:
            outcome = check()
        except Exception as exc:  # any failure of a dependency is a "not ready", never a 500
            outcome = type(exc).__name__
            if name in {"database", "migrations"}:
                with contextlib.suppress(Exception):
                    db.session.rollback()
        results[name] = outcome or "ok"
        if outcome not in _FINE:
            failed.append(name)
    return results, failed


def healthz() -> Any:
    """The process is up and serving: no dependency is touched."""
    return jsonify(status="ok")


def readyz() -> Any:
    results, failed = readiness()
    body = {"status": "unavailable" if failed else "ok", "checks": results, "failed": failed}
    response = jsonify(body)
    response.status_code = 503 if failed else 200
    if failed:
        response.headers["Retry-After"] = "10"
    return response
