"""The audit trail's hash chain (migration 0010, intake/audit.py, `flask audit verify`): every
row carries the hash of the one before, computed by the database under a lock, so concurrent
writers from several processes form one chain, and a row changed or removed (by someone able
to switch the append-only trigger off) is found."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from intake.audit import GENESIS, audit, verify_chain
from intake.extensions import db
from intake.models import AuditEvent
from tests.support import ROOT, sign_in, worker_env

COORDINATOR = "coordinator@demo.wayfinder"


def _verify(app: Flask) -> Any:
    return app.test_cli_runner().invoke(args=["audit", "verify"])


def _write(app: Flask, count: int, action: str = "test.event") -> None:
    with app.app_context():
        for n in range(count):
            audit(action, "intake", n, n=n)
            db.session.commit()


def _chain(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)))


def _as_superuser_without_triggers(app: Flask, statement: str, **params: Any) -> None:
    """What an intruder with the database's superuser could do: switch triggers off."""
    with app.app_context():
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
        db.session.execute(text(statement), params)
        db.session.execute(text("SET LOCAL session_replication_role = origin"))
        db.session.commit()


def test_each_row_holds_the_hash_of_the_one_before(app: Flask, demo: Any) -> None:
    sign_in(app.test_client(), COORDINATOR)
    _write(app, 3)
    rows = _chain(app)
    assert len(rows) >= 4
    assert rows[0].chain_seq == 1 and rows[0].prev_hash == GENESIS
    for before, row in zip(rows, rows[1:], strict=False):
        assert row.chain_seq == before.chain_seq + 1  # type: ignore[operator]
        assert row.prev_hash == before.row_hash
    with app.app_context():
        body = db.session.scalar(
            text("SELECT audit_event_body(a) FROM audit_events a WHERE id = :id"),
            {"id": rows[-1].id},
        )
    assert '"test.event"' in body and str(rows[-1].id) in body
    expected = hashlib.sha256((rows[-1].prev_hash + body).encode()).hexdigest()
    assert rows[-1].row_hash == expected


def test_verify_reports_ok_with_the_row_count(app: Flask, demo: Any) -> None:
    _write(app, 5)
    with app.app_context():
        total = db.session.query(AuditEvent).count()
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK: {total} audit rows, chain intact")


def test_verify_finds_a_row_edited_by_a_superuser(app: Flask, demo: Any) -> None:
    _write(app, 5)
    target = _chain(app)[-3]
    _as_superuser_without_triggers(
        app, "UPDATE audit_events SET object_id = '999' WHERE id = :id", id=target.id
    )
    result = _verify(app)
    assert result.exit_code == 1
    assert "does not match its hash" in result.output
    assert f"chain position {target.chain_seq}, id {target.id}" in result.output


def test_verify_finds_a_row_deleted_with_the_trigger_off(app: Flask, demo: Any) -> None:
    _write(app, 5)
    target = _chain(app)[-3]
    _as_superuser_without_triggers(app, "DELETE FROM audit_events WHERE id = :id", id=target.id)
    with app.app_context():
        report = verify_chain()
    assert not report.ok and report.at_seq == target.chain_seq + 1  # type: ignore[operator]
    assert report.problem == f"row {target.chain_seq} of the chain is missing"
    result = _verify(app)
    assert result.exit_code == 1 and "missing" in result.output


def test_verify_finds_a_rehashed_row_by_its_broken_link(app: Flask, demo: Any) -> None:
    """Changing a row and recomputing its own hash still breaks the next row's link."""
    _write(app, 4)
    target = _chain(app)[-2]
    for statement in (
        "UPDATE audit_events SET action = 'test.other' WHERE id = :id",
        "UPDATE audit_events SET row_hash = encode(sha256(convert_to(prev_hash || "
        "audit_event_body(audit_events), 'UTF8')), 'hex') WHERE id = :id",
    ):
        _as_superuser_without_triggers(app, statement, id=target.id)
    with app.app_context():
        report = verify_chain()
    assert not report.ok and report.at_seq == target.chain_seq + 1  # type: ignore[operator]
    assert "link" in (report.problem or "")


# One writer process: waits for the go file, then commits `count` audit rows one by one.
WRITER = """
import os, sys, time
from pathlib import Path
from intake import create_app
from intake.audit import audit
from intake.extensions import db
go, count = Path(sys.argv[1]), int(sys.argv[2])
app = create_app()
with app.app_context():
    db.session.execute(db.text("SELECT 1"))
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    for n in range(count):
        audit("test.process", "intake", n, pid=os.getpid())
        db.session.commit()
"""


@pytest.mark.commits
def test_writer_processes_form_one_chain(make_app: Any, migrated_pg: str, tmp_path: Path) -> None:
    """Three processes (as three web or worker processes) commit audit rows at the same time:
    one chain, every row once, and `flask audit verify` says OK."""
    app = make_app()
    go, count = tmp_path / "go", 30
    env = worker_env(DATABASE_URL=migrated_pg, TASK_DISPATCHER="record", MAILER="memory")
    procs = [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", WRITER, str(go), str(count)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(3)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
        go.touch()
        for proc in procs:
            out, _ = proc.communicate(timeout=120)
            assert proc.returncode == 0, out.decode()[-2000:]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    rows = _chain(app)
    assert len(rows) == 3 * count
    assert [r.chain_seq for r in rows] == list(range(1, 3 * count + 1))
    assert len({r.detail["pid"] for r in rows}) == 3
    switches = sum(
        1 for a, b in zip(rows, rows[1:], strict=False) if a.detail["pid"] != b.detail["pid"]
    )
    assert switches > 2  # the writers did run at the same time
    result = _verify(app)
    assert result.exit_code == 0 and f"OK: {3 * count} audit rows" in result.output, result.output


@pytest.mark.commits
def test_concurrent_writers_form_one_chain(make_app: Any) -> None:
    """Four writers (each its own connection, as four web processes) commit audit rows at the
    same time: the chain has every row once, in one order, and verifies."""
    app = make_app()
    writers, each = 4, 25
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            start.wait(timeout=30)
            _write(app, each, action=f"test.writer{n}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)
        finally:
            with app.app_context():
                db.session.remove()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    rows = _chain(app)
    assert len(rows) == writers * each
    assert [r.chain_seq for r in rows] == list(range(1, writers * each + 1))
    assert len({r.action for r in rows}) == writers
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"OK: {writers * each} audit rows" in result.output
