"""Shared fixtures: a PostgreSQL database made for this run, apps on it, and real services.

Outside CI a test whose service is missing is skipped, and the summary says how to start it;
under CI=true it fails instead.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from tests.support import RedisServer, redis_server_binary
from tests.support import free_port as free_port  # re-exported: tests import it from here

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
HOW_TO_START = {
    "PostgreSQL": "make services (or: pg_ctlcluster <version> main start)",
    "Redis": "apt-get install redis-server (tests start their own on a free port)",
}
_missing: set[str] = set()


def need(service: str, reason: str) -> None:
    """Fail under CI, skip elsewhere (remembered for the summary)."""
    if IN_CI:
        pytest.fail(f"{service} is required under CI but is not available: {reason}")
    _missing.add(service)
    pytest.skip(f"{service} not available ({reason}); start it with: {HOW_TO_START[service]}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for service in sorted(_missing):
        terminalreporter.write_line(
            f"SKIPPED tests that need {service}: start it with `{HOW_TO_START[service]}`",
            yellow=True,
        )


@contextmanager
def scratch_pg_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own (its URL), dropped afterwards."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        need("PostgreSQL", type(exc).__name__)
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(3)}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database created for this test run and dropped at the end."""
    with scratch_pg_database("wayfinder_test") as url:
        yield url


@pytest.fixture(scope="session")
def migrated_pg(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The schema comes from the migrations, exactly as `flask db upgrade` makes it."""
    from flask_migrate import upgrade

    from intake import create_app

    app = create_app(settings(pg_url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
    return pg_url


def settings(database_url: str, tmp: Any, **extra: Any) -> dict[str, Any]:
    return {
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "DISPATCH_TASKS": False,
        "RATELIMIT_ENABLED": False,
        # Like the rate limits, the guards against volume from one source are off unless a
        # test turns them on (tests post many intakes from one address or API client).
        "AUTO_ASSIGN_PER_SOURCE_PER_HOUR": 0,
        "EMAILS_PER_RECIPIENT_PER_HOUR": 0,
        "WTF_CSRF_ENABLED": False,
        "MAILBOX_DIR": str(tmp / "mailbox"),
        "BEAT_SCHEDULE_FILE": str(tmp / "beat-schedule"),
        "EMBEDDED_BROKER_URL": f"sqla+sqlite:///{tmp / 'broker.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 60},
        **extra,
    }


def _truncate(app: Flask) -> None:
    from intake.extensions import db

    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def make_app(migrated_pg: str, tmp_path: Any) -> Iterator[Any]:
    """Build apps on the test database with extra settings; tables are emptied afterwards."""
    from intake import create_app

    built: list[Flask] = []

    def build(**extra: Any) -> Flask:
        app = create_app(settings(migrated_pg, tmp_path, **extra))
        built.append(app)
        return app

    yield build
    if built:
        _truncate(built[0])
        for app in built[1:]:
            with app.app_context():
                from intake.extensions import db

                db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def demo(app: Flask) -> dict[str, int]:
    """Demo clinics, clinicians, staff and rota, as `flask seed-demo` makes them."""
    from intake.cli import seed_demo

    with app.app_context():
        return seed_demo()


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of this run's own on a free port: no shared Redis DB is ever written."""
    if redis_server_binary() is None:
        need("Redis", "redis-server is not installed")
    server = RedisServer(free_port(), tmp_path_factory.mktemp("redis") / "redis.log")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(private_redis: RedisServer) -> str:
    """An empty Redis of the test's own (this run's private server, emptied before use)."""
    import redis

    client = redis.Redis.from_url(private_redis.url)
    client.flushall()
    client.close()
    return private_redis.url
