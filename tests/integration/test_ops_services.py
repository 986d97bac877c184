"""Backups restored for real, and beat running once: real PostgreSQL (pg_dump, pg_restore into a
scratch database) and real `celery beat` processes on this run's own Redis."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text

from intake import create_app
from intake.extensions import db
from intake.models import Notification, NotificationKind
from intake.ops import queues
from tests import factories
from tests.conftest import PG_ADMIN_URL, scratch_pg_database, settings
from tests.integration.conftest import rows, wait_until
from tests.support import (
    ROOT,
    RedisServer,
    api_client,
    kill_group,
    start_worker,
    stop,
    wait_ready,
    worker_env,
)

BACKUP = [sys.executable, str(ROOT / "scripts" / "backup.py")]


def run_backup(command: str, env: dict[str, str], folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [*BACKUP, command, "--dir", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_then_restore_test_checks_counts_and_an_intake(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from intake.cli import seed_demo

    with scratch_pg_database("wayfinder_backup") as url:
        app = create_app(settings(url, tmp_path))
        with app.app_context():
            upgrade()
            seed_demo()
        api = api_client(app)
        for answers in ({}, {"safe_now": "no"}):
            assert api.post("/api/v1/intakes", json=factories.payload(**answers)).status_code == 201
        with app.app_context():
            db.engine.dispose()
        env = {
            **{k: v for k, v in os.environ.items() if k not in {"SECRET_KEY"}},
            "DATABASE_URL": url,
            "RESTORE_ADMIN_URL": PG_ADMIN_URL,
            "SECRET_KEY": "must-not-reach-the-backup",
        }
        made = run_backup("backup", env, tmp_path / "backups")
        assert made.returncode == 0, made.stderr
        dumps = sorted((tmp_path / "backups").glob("wayfinder-*.dump"))
        assert len(dumps) == 1
        manifest = dumps[0].with_suffix(".json").read_text()
        assert '"keys_included": false' in manifest and "must-not-reach" not in manifest
        assert b"must-not-reach-the-backup" not in dumps[0].read_bytes()
        for canary in ("Canary", "Zebrafinch"):
            assert canary not in manifest

        restored = run_backup("restore-test", env, tmp_path / "backups")
        assert restored.returncode == 0, restored.stdout + restored.stderr
        assert "restore-test: ok" in restored.stdout and "intake checked" in restored.stdout
        scratch = re.search(r"scratch database (\S+)", restored.stdout)
        assert scratch is not None

        # A restore that does not match what was backed up fails, naming the table.
        path = dumps[0].with_suffix(".json")
        path.write_text(re.sub(r'"intakes": \d+', '"intakes": 99', path.read_text()))
        broken = run_backup("restore-test", env, tmp_path / "backups")
        assert broken.returncode == 1 and "intakes: 99 rows backed up, 2 restored" in broken.stderr

    admin = create_engine(PG_ADMIN_URL)
    with admin.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM pg_database WHERE datname LIKE 'wayfinder_restore_%'")
        ).scalar()
    admin.dispose()
    assert left == 0  # every scratch database was dropped


def start_beat(env: dict[str, str], schedule: Path, log: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "beat",
        "--loglevel", "INFO", "--schedule", str(schedule),
    ]  # fmt: skip
    return subprocess.Popen(  # noqa: S603
        cmd, cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def wait_for(predicate: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError


def test_a_second_beat_is_refused_while_the_first_holds_the_lock(
    private_redis: RedisServer, redis_url: str, pg_url: str, tmp_path: Path
) -> None:
    env = worker_env(
        DATABASE_URL=pg_url,
        REDIS_URL=redis_url,
        SECRET_KEY="beat-lock-test",
        LOG_FORMAT="json",
        OUTBOX_SWEEP_SECONDS="1",
    )
    first_log, second_log = tmp_path / "beat1.log", tmp_path / "beat2.log"
    first = start_beat(env, tmp_path / "one", first_log)
    try:
        wait_for(lambda: b"beat lock taken" in first_log.read_bytes())
        taken = next(line for line in first_log.read_text().splitlines() if "lock taken" in line)
        assert json.loads(taken)["logger"] == "intake.ops.beat"  # beat logs JSON lines too
        second = start_beat(env, tmp_path / "two", second_log)
        try:
            assert second.wait(timeout=60) != 0  # refused: it stops, with a failure status
        finally:
            if second.poll() is None:
                kill_group(second)
        assert b"another beat holds the beat lock" in second_log.read_bytes()
        heartbeat = Path(f"{tmp_path / 'one'}.heartbeat")
        wait_for(heartbeat.exists)
        assert first.poll() is None  # the first goes on
    finally:
        stop(first)
    # Stopped, the first has given the lock back: a new beat may start at once.
    third_log = tmp_path / "beat3.log"
    third = start_beat(env, tmp_path / "three", third_log)
    try:
        wait_for(lambda: b"beat lock taken" in third_log.read_bytes())
    finally:
        kill_group(third)  # SIGKILL: the Redis key stays until it expires
    # The same beat restarted (same machine, same schedule file) takes its key over at once;
    # another is still refused.
    again_log = tmp_path / "beat4.log"
    again = start_beat(env, tmp_path / "three", again_log)
    try:
        wait_for(lambda: b"beat lock taken" in again_log.read_bytes(), timeout=20)
    finally:
        stop(again)


def test_crisis_alerts_wait_for_no_routine_worker_and_go_to_their_own(rig: Any) -> None:
    """A worker serving only the default queue sends the routine mail and never a crisis
    alert; those wait in the crisis queue until a crisis worker takes them."""

    r = rig()
    r.env["LOG_FORMAT"] = "json"

    def worker(queue: str) -> None:
        mark = r.log.stat().st_size if r.log.exists() else 0
        proc = start_worker(r.env, r.log, extra=["-Q", queue, "-n", f"{queue}@%h"])
        r.workers.append(proc)
        wait_ready(r.log, after=mark)

    worker(queues.DEFAULT_QUEUE)
    api = api_client(r.app)
    routine = api.post(
        "/api/v1/intakes", json=factories.payload(), headers={"X-Request-ID": "req-routine-1"}
    )
    assert routine.status_code == 201
    assert api.post("/api/v1/intakes", json=factories.payload(safe_now="no")).status_code == 201

    def crisis(n: Notification) -> bool:
        return n.kind in queues.CRISIS_KINDS

    assert wait_until(lambda: all(n.status == "sent" for n in rows(r) if not crisis(n)), 30)
    found = rows(r)
    assert any(n.kind == NotificationKind.CRISIS_ALERT for n in found)
    assert all(n.status == "pending" for n in found if crisis(n))
    client = redis.Redis.from_url(r.redis.url)
    waiting = client.llen(queues.CRISIS_QUEUE)
    client.close()
    assert waiting == sum(1 for n in found if crisis(n))

    worker(queues.CRISIS_QUEUE)
    assert wait_until(lambda: all(n.status == "sent" for n in rows(r)), 30)

    # The worker logs JSON, and its lines for the routine intake's task carry the request id
    # of the submission that published it, and the task's id.
    entries = [json.loads(line) for line in r.worker_log().splitlines() if line.startswith("{")]
    sent = [e for e in entries if e.get("request_id") == "req-routine-1"]
    assert sent and all(e.get("task_id") for e in sent), entries[-5:]
    assert any("sent" in e["message"] for e in sent)
    for canary in ("Canary", "Zebrafinch", "canary-free-text"):
        assert canary not in r.worker_log()
