"""Shared fixtures: PostgreSQL databases made for this run, apps on them, and real services.

Each test that builds an app runs inside one database transaction that is rolled back at its
end (SQLAlchemy's "join an external transaction": every session of the test's apps works in a
savepoint of that transaction, so a `commit` in the code under test commits the savepoint).
Tests that need their writes committed for real, because another thread or process must see
them (worker processes, concurrent requests, row locks), are marked `commits`: their tables
are emptied afterwards instead. Everything under tests/integration is marked so.

Two databases are made once per run: an empty one (the schema from the migrations) and one
with the demo data seeded once, which the tests that ask for `demo` run on.

Outside CI a test whose service is missing is skipped, and the summary says how to start it;
under CI=true it fails instead.
"""

from __future__ import annotations

import base64
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from flask import Flask, current_app, has_app_context
from sqlalchemy import Connection, create_engine, text

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


@dataclass
class Database:
    """A database of this run as its tests find it: the URL, the statement that puts its
    sequences back where they stood (sequences are not transactional, and ids that start at 1
    in every test are what the tests have always seen), and the demo data seeded in it."""

    url: str
    reset_sequences: str = "SELECT 1"
    demo: dict[str, int] = field(default_factory=dict)


def _migrate_and_seed(url: str, tmp: Any, *, demo: bool) -> Database:
    """Upgrade `url` with the migrations (as `flask db upgrade` does), seed the demo if asked,
    and note where its sequences stand."""
    from flask_migrate import upgrade

    from intake import create_app
    from intake.cli import seed_demo
    from intake.extensions import db

    app = create_app(settings(url, tmp))
    with app.app_context():
        upgrade()
        counts = seed_demo() if demo else {}
        db.session.remove()
        with db.engine.connect() as conn:
            found = conn.execute(
                text("SELECT schemaname, sequencename, last_value FROM pg_sequences")
            ).all()
        db.engine.dispose()
    calls = [
        f'setval(\'"{schema}"."{name}"\', {last or 1}, {"true" if last else "false"})'
        for schema, name, last in found
    ]
    return Database(url, "SELECT " + ", ".join(calls) if calls else "SELECT 1", counts)


@pytest.fixture(scope="session")
def empty_db(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Database:
    """This run's database with the schema from the migrations and no rows."""
    return _migrate_and_seed(pg_url, tmp_path_factory.mktemp("migrate"), demo=False)


@pytest.fixture(scope="session")
def migrated_pg(empty_db: Database) -> str:
    """The URL of the empty database (worker processes of `commits` tests are pointed at it)."""
    return empty_db.url


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A database of this run with the demo data seeded once (cheap password hashes)."""
    with scratch_pg_database("wayfinder_demo") as url:
        yield _migrate_and_seed(url, tmp_path_factory.mktemp("demo"), demo=True)


# One encryption key and search-hash key per run, generated: every app of the run, and the
# worker processes (they inherit the environment), read what the others wrote.
TEST_ENCRYPTION_KEY = os.environ.setdefault(
    "ENCRYPTION_KEYS", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
)
TEST_SEARCH_HASH_KEY = os.environ.setdefault("SEARCH_HASH_KEY", "test-" + secrets.token_hex(16))

# Argon2 at its cheapest (APP_ENV=testing only): tests make and sign in many accounts.
CHEAP_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}


def settings(database_url: str, tmp: Any, **extra: Any) -> dict[str, Any]:
    """Test settings: tasks are recorded, not sent (`app.extensions["dispatcher"].sent`), and
    mail is kept in memory (`mailers.memory(app)`) unless a test names an SMTP server or a
    mailbox folder, or asks for a mailer or the Celery dispatcher itself."""
    testing = extra.get("APP_ENV", "testing") == "testing"  # else the stand-ins are refused
    mailer = "smtp" if extra.get("SMTP_HOST") else "mailbox" if "MAILBOX_DIR" in extra else "memory"
    return {
        "APP_ENV": "testing",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-" + secrets.token_hex(8),
        "ENCRYPTION_KEYS": TEST_ENCRYPTION_KEY,
        "SEARCH_HASH_KEY": TEST_SEARCH_HASH_KEY,
        "TASK_DISPATCHER": "record" if testing else "celery",
        "MAILER": mailer if testing or mailer != "memory" else "mailbox",
        "PASSWORD_HASH_COST": CHEAP_PASSWORD_HASH if testing else None,
        # Never the machine's services from the environment (a developer's REDIS_URL, SMTP_HOST):
        # a test that wants Redis or SMTP names its own private one.
        "REDIS_URL": None,
        "RATELIMIT_STORAGE_URI": None,
        "RESULT_BACKEND_URL": None,
        "SMTP_HOST": None,
        "RATELIMIT_ENABLED": False,
        # Like the rate limits, the guards against volume from one source are off unless a
        # test turns them on (tests post many intakes from one address or API client).
        "AUTO_ASSIGN_PER_SOURCE_PER_HOUR": 0,
        "EMAILS_PER_RECIPIENT_PER_HOUR": 0,
        "COUNTS_MAX_AGE_SECONDS": 0,  # counts read fresh, unless a test keeps them
        "WTF_CSRF_ENABLED": False,
        "MAILBOX_DIR": str(tmp / "mailbox"),
        "BEAT_SCHEDULE_FILE": str(tmp / "beat-schedule"),
        "EMBEDDED_BROKER_URL": f"sqla+sqlite:///{tmp / 'broker.sqlite'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 60},
        **extra,
    }


# The connection each app of the running test works on, inside the test's own transaction.
_JOINED: WeakKeyDictionary[Flask, Connection] = WeakKeyDictionary()


def _join_sessions_to_the_test_transaction() -> None:
    """Sessions of an app built by `make_app` use the test's connection and work in savepoints.

    Flask-SQLAlchemy chooses the engine itself (`get_bind`); the subclass answers with the
    test's connection for those apps, and with the engine for any other app (one a test makes
    on a scratch database of its own)."""
    from intake.extensions import db

    factory = db.session.session_factory

    class JoinedSession(factory.class_):  # type: ignore[name-defined, misc]
        def get_bind(
            self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any
        ) -> Any:
            if bind is None and has_app_context():
                joined = _JOINED.get(current_app._get_current_object())  # type: ignore[attr-defined]
                if joined is not None:
                    return joined
            return super().get_bind(mapper, clause=clause, bind=bind, **kwargs)

    factory.class_ = JoinedSession
    factory.configure(join_transaction_mode="create_savepoint")


_join_sessions_to_the_test_transaction()


def commits(request: pytest.FixtureRequest) -> bool:
    """Whether the test's writes are committed for real (marked `commits`)."""
    return request.node.get_closest_marker("commits") is not None


def _truncate(app: Flask) -> None:
    from intake.extensions import db

    with app.app_context():
        db.session.remove()
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def make_app(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Any]:
    """Build apps with extra settings on this run's database (the demo one when the test asks
    for `demo`). Their writes are rolled back at the end of the test; a `commits` test's are
    committed, and the tables emptied afterwards."""
    from intake import create_app
    from intake.extensions import db

    committed = commits(request)
    wants_demo = "demo" in request.fixturenames and not committed
    database: Database = request.getfixturevalue("demo_db" if wants_demo else "empty_db")
    built: list[Flask] = []
    joined: list[Connection] = []

    def build(**extra: Any) -> Flask:
        app = create_app(settings(database.url, tmp_path, **extra))
        if not built:
            with app.app_context():
                conn = db.engine.connect()
            if committed:
                conn.execute(text(database.reset_sequences))
                conn.commit()
                conn.close()
            else:
                conn.begin()
                conn.execute(text(database.reset_sequences))
                joined.append(conn)
        if joined:
            _JOINED[app] = joined[0]
        built.append(app)
        return app

    yield build
    for app in built:
        _JOINED.pop(app, None)
    for conn in joined:
        conn.rollback()
        conn.close()
    if built and committed:
        _truncate(built[0])
    for app in built:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture
def demo(request: pytest.FixtureRequest, app: Flask) -> dict[str, int]:
    """Demo clinics, clinicians, staff and rota, as `flask seed-demo` makes them (what it
    created): seeded once per run, or by the test itself when it `commits`."""
    if not commits(request):
        return dict(request.getfixturevalue("demo_db").demo)
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
    private_redis.flush()
    return private_redis.url
