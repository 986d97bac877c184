"""A rig of real parts for the fault tests: own redis-server, own aiosmtpd, a worker with beat.

Timings are short so that the faults play out in seconds: the same settings production uses,
with smaller numbers (config.py still refuses timings that would duplicate on purpose).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from intake.cli import seed_demo
from intake.extensions import db
from intake.models import Notification
from tests.conftest import need
from tests.support import (
    RedisServer,
    SmtpSink,
    free_port,
    kill_group,
    redis_server_binary,
    start_smtp,
    start_worker,
    stop,
    wait_ready,
    worker_env,
)

API = "/api/v1/intakes"
FAST = {
    "OUTBOX_SWEEP_SECONDS": "1",
    "OUTBOX_GRACE_SECONDS": "2",
    "DEADLINE_CHECK_SECONDS": "1",
    "NOTIFY_BACKOFF_CAP": "2",
    "TASK_TIME_LIMIT": "5",
    "SEND_LEASE_SECONDS": "6",
    "BROKER_VISIBILITY_TIMEOUT": "10",
    "BROKER_RESTORE_SECONDS": "1",
    "SMTP_TIMEOUT": "10",
    "DISPATCH_PAUSE_SECONDS": "1",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test here runs real workers or servers on the app's database: `commits`."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.commits)


def _typed(settings: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                out[key] = value
    return out


@dataclass
class Rig:
    app: Flask
    redis: RedisServer
    sink: SmtpSink
    env: dict[str, str]
    log: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, *, concurrency: int = 1, beat: bool = True) -> subprocess.Popen[bytes]:
        mark = self.log.stat().st_size if self.log.exists() else 0
        proc = start_worker(self.env, self.log, concurrency=concurrency, beat=beat)
        self.workers.append(proc)
        wait_ready(self.log, after=mark)
        return proc

    def kill_worker(self, proc: subprocess.Popen[bytes]) -> None:
        kill_group(proc)

    def worker_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def rig(make_app: Any, migrated_pg: str, tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Build the rig with extra settings (strings, as the worker's environment gets them).

    Each process is registered for teardown as soon as it is started, so a rig whose setup fails
    half-way (the app, the demo data) leaves nothing running.
    """
    if redis_server_binary() is None:
        need("Redis", "the redis-server binary is not installed (fault tests start their own)")

    with ExitStack() as cleanup:

        def build(*, app_only: dict[str, Any] | None = None, **extra: str) -> Rig:
            """`extra` goes to the app and the worker; `app_only` to the app (e.g. a dispatcher
            that records, when the test sends the tasks itself)."""
            settings = {**FAST, **extra}
            app_only = app_only or {}
            redis = RedisServer(free_port(), tmp_path / "redis.log")
            cleanup.callback(redis.stop)  # stops whichever process it runs at the end
            redis.start()
            sink = SmtpSink()
            smtp_port = free_port()
            controller = start_smtp(smtp_port, sink)
            cleanup.callback(controller.stop)
            common = {
                "REDIS_URL": redis.url,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": str(smtp_port),
                "BASE_URL": "http://wayfinder.test",
                **settings,
            }
            app = make_app(**{"TASK_DISPATCHER": "celery", **_typed(common), **app_only})
            with app.app_context():
                seed_demo()
            env = worker_env(DATABASE_URL=migrated_pg, **common)
            rig = Rig(app, redis, sink, env, tmp_path / "worker.log")
            cleanup.callback(_stop_workers, rig)  # first out: the workers, then SMTP and Redis
            return rig

        yield build


def _stop_workers(rig: Rig) -> None:
    for proc in rig.workers:
        stop(proc)


def rows(rig: Rig) -> list[Notification]:
    """The outbox, detached from the session."""
    with rig.app.app_context():
        found = list(db.session.query(Notification).order_by(Notification.id))
        db.session.expunge_all()
        return found


def all_sent(rig: Rig) -> bool:
    return all(n.status == "sent" for n in rows(rig))


def assert_once_each(rig: Rig) -> None:
    """Every outbox row sent, and its Message-ID accepted by the SMTP server exactly once."""
    notifications = rows(rig)
    assert notifications and all(n.status == "sent" for n in notifications), [
        (n.id, n.kind, n.status, n.attempts, n.last_error) for n in notifications
    ]
    accepted = {m.message_id for m in rig.sink.messages}
    expected = {n.message_id for n in notifications}
    assert expected == accepted, (expected - accepted, accepted - expected)
    assert rig.sink.duplicates() == {}


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(step)
    return check()
