"""Crisis alerts, acknowledgement and the deadline check (in-process; the worker is not needed:
the check is a plain function of `now`)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event, select

from intake import notifications
from intake.cli import DEMO_PASSWORD
from intake.extensions import db
from intake.models import Assignment, AuditEvent, Intake, Notification, Role, User, utcnow
from intake.services.deadlines import check_deadlines, due_level
from tests import factories
from tests.support import api_client, sign_in

COORDINATOR = "coordinator@demo.wayfinder"
ON_CALL, BACKUP = "ana.rivera@demo.wayfinder", "sam.okafor@demo.wayfinder"
DIRECTOR = "director@demo.wayfinder"


def crisis(app: Flask) -> int:
    response = api_client(app).post("/api/v1/intakes", json=factories.payload(safe_now="no"))
    assert response.status_code == 201
    with app.app_context():
        return db.session.scalar(
            select(Intake.id).where(Intake.reference == response.json["reference"])
        )


def recipients(app: Flask, intake_id: int, kind: str, level: int | None = None) -> list[str]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(
                Notification.intake_id == intake_id, Notification.kind == kind
            )
        )
        return sorted(
            n.recipient.email
            for n in rows
            if level is None or (n.context or {}).get("level") == level
        )


def actions(app: Flask) -> list[str]:
    with app.app_context():
        return [a for (a,) in db.session.query(AuditEvent.action).order_by(AuditEvent.id)]


def test_crisis_alerts_on_call_backup_and_coordinators_at_once(app: Flask, demo: Any) -> None:
    intake_id = crisis(app)
    assert recipients(app, intake_id, "crisis_alert") == sorted([COORDINATOR, ON_CALL, BACKUP])
    assert "crisis.alerted" in actions(app)


def test_escalates_at_15_and_30_minutes_once_per_level(app: Flask, demo: Any) -> None:
    intake_id = crisis(app)
    with app.app_context():
        start = db.session.get(Intake, intake_id).crisis_at  # type: ignore[union-attr]
        assert check_deadlines(start + timedelta(minutes=14)) == 0
        assert check_deadlines(start + timedelta(minutes=15)) == 2
        assert check_deadlines(start + timedelta(minutes=16)) == 0  # already at level 1
        assert check_deadlines(start + timedelta(minutes=30)) == 4
        assert check_deadlines(start + timedelta(minutes=90)) == 0  # two levels only
        assert db.session.get(Intake, intake_id).escalation_level == 2  # type: ignore[union-attr]
    assert recipients(app, intake_id, "escalation", 1) == sorted([BACKUP, DIRECTOR])
    assert recipients(app, intake_id, "escalation", 2) == sorted(
        [BACKUP, DIRECTOR, ON_CALL, COORDINATOR]
    )
    assert actions(app).count("crisis.escalated") == 2


def test_a_late_check_sends_the_highest_level_due(app: Flask, demo: Any) -> None:
    intake_id = crisis(app)
    with app.app_context():
        start = db.session.get(Intake, intake_id).crisis_at  # type: ignore[union-attr]
        assert check_deadlines(start + timedelta(minutes=45)) == 4
    assert recipients(app, intake_id, "escalation", 1) == []
    assert due_level(timedelta(minutes=20), (900, 1800)) == 1


def test_acknowledge_get_confirms_post_acknowledges_and_stops_escalation(
    app: Flask, demo: Any
) -> None:
    intake_id = crisis(app)
    on_call = app.test_client()
    assert sign_in(on_call, ON_CALL).status_code == 302
    page = on_call.get(f"/staff/intakes/{intake_id}/acknowledge")
    assert page.status_code == 200 and "Acknowledge and take the outreach" in page.text
    assert "Canary" not in page.text  # no PHI on the confirm page
    with app.app_context():
        assert db.session.get(Intake, intake_id).acknowledged_at is None  # type: ignore[union-attr]
    assert on_call.post(f"/staff/intakes/{intake_id}/acknowledge").status_code == 302
    again = on_call.post(f"/staff/intakes/{intake_id}/acknowledge", follow_redirects=True)
    assert "already acknowledged" in again.text
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        assert intake is not None and intake.acknowledged_by.email == ON_CALL  # type: ignore[union-attr]
        assert check_deadlines(intake.crisis_at + timedelta(hours=1)) == 0  # type: ignore[operator]
    assert actions(app).count("crisis.acknowledged") == 1


def test_only_alerted_clinicians_and_staff_may_acknowledge(app: Flask, demo: Any) -> None:
    intake_id = crisis(app)
    stranger = app.test_client()
    sign_in(stranger, "mei.chen@demo.wayfinder")
    assert stranger.get(f"/staff/intakes/{intake_id}/acknowledge").status_code == 404
    assert stranger.post(f"/staff/intakes/{intake_id}/acknowledge").status_code == 404
    anonymous = app.test_client().get(f"/staff/intakes/{intake_id}/acknowledge")
    assert anonymous.status_code == 302
    staff = app.test_client()
    sign_in(staff, COORDINATOR)
    assert staff.get(f"/staff/intakes/{intake_id}/acknowledge").status_code == 200
    routine = api_client(app).post("/api/v1/intakes", json=factories.payload())
    with app.app_context():
        routine_id = db.session.scalar(
            select(Intake.id).where(Intake.reference == routine.json["reference"])
        )
    assert staff.get(f"/staff/intakes/{routine_id}/acknowledge").status_code == 404


def test_offers_not_accepted_in_time_go_to_coordinators(app: Flask, demo: Any) -> None:
    response = api_client(app).post("/api/v1/intakes", json=factories.payload(phq9_9=1))
    assert response.status_code == 201
    with app.app_context():
        offer = db.session.scalars(select(Assignment)).one()
        assert offer.accept_by is not None
        assert offer.accept_by - offer.created_at.replace(tzinfo=offer.accept_by.tzinfo) >= (
            timedelta(hours=8)
        )  # one business day of 09:00-17:00 at least
        assert check_deadlines(offer.accept_by - timedelta(seconds=1)) == 0
        assert check_deadlines(offer.accept_by + timedelta(seconds=1)) == 1
        assert check_deadlines(offer.accept_by + timedelta(days=3)) == 0
        intake_id = offer.intake_id
    assert recipients(app, intake_id, "assignment_overdue") == [COORDINATOR]
    assert "assignment.overdue" in actions(app)
    with app.app_context():
        rows = db.session.scalars(select(Notification).where(Notification.intake_id == intake_id))
        message = notifications.compose(next(n for n in rows if n.kind == "assignment_overdue"))
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert str(message["Subject"]).startswith("Assignment not accepted by ")
    assert text.startswith("An assignment was not accepted by ")
    assert "Please follow up or reassign it.\n" in text
    assert f"Sign in to view it: http://127.0.0.1:5000/staff/intakes/{intake_id}\n" in text
    staff = app.test_client()
    sign_in(staff, COORDINATOR)
    assert "overdue" in staff.get("/staff/").text


def _staff_until(app: Flask, total: int) -> None:
    """Add coordinators until `total` are active."""
    with app.app_context():
        have = len(db.session.scalars(select(User).where(User.role == Role.STAFF)).all())
        for n in range(have, total):
            db.session.add(
                User(
                    email=f"coord{n}@test.example",
                    display_name=f"C{n}",
                    role=Role.STAFF,
                    password_hash="x",
                )
            )
        db.session.commit()


def _queries_of_check(app: Flask, now: datetime) -> tuple[int, int]:
    """(rows written, SQL statements sent) for one deadline check at `now`."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            written = check_deadlines(now)
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
    return written, len(statements)


def test_deadline_check_queries_do_not_grow_with_recipients_or_offers(
    app: Flask, demo: Any
) -> None:
    later = utcnow() + timedelta(days=10)  # every offer is overdue, every crisis at level 2
    counts = []
    for staff, offers in ((2, 3), (6, 3), (6, 8)):
        _staff_until(app, staff)
        for _ in range(offers):
            assert (
                api_client(app).post("/api/v1/intakes", json=factories.payload()).status_code == 201
            )
        crisis(app)
        written, queries = _queries_of_check(app, later)
        # Each offer to every coordinator; the crisis to backup, director, on call and them.
        assert written == offers * staff + 3 + staff
        counts.append(queries)
    print(f"deadline check: {counts} queries for (coordinators, offers) 2/3, 6/3, 6/8")
    assert counts[0] == counts[1] == counts[2], counts


def test_director_is_seeded_and_configurable(app: Flask, demo: Any) -> None:
    with app.app_context():
        director = db.session.scalar(select(User).where(User.email == DIRECTOR))
        assert director is not None and director.role == "admin"
    assert sign_in(app.test_client(), DIRECTOR, DEMO_PASSWORD).status_code == 302


def test_oncall_cli_add_list_remove(app: Flask, demo: Any) -> None:
    runner = app.test_cli_runner()
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M+00:00")
    added = runner.invoke(
        args=["oncall", "add", "mei.chen@demo.wayfinder", "--backup", BACKUP, "--start", start]
    )
    assert added.exit_code == 0, added.output
    shift_id = int(added.output.split()[-1])
    listed = runner.invoke(args=["oncall", "list", "--days", "45"])
    line = f"{shift_id:5d}  "
    assert any(row.startswith(line) and "mei.chen" in row for row in listed.output.splitlines())
    bad = runner.invoke(args=["oncall", "add", "nobody@x.example", "--start", start])
    assert bad.exit_code != 0 and "no active user" in bad.output
    assert runner.invoke(args=["oncall", "remove", str(shift_id)]).exit_code == 0
    after = runner.invoke(args=["oncall", "list", "--days", "45"]).output
    assert not any(row.startswith(line) for row in after.splitlines())
    assert {"oncall.added", "oncall.removed"} <= set(actions(app))
