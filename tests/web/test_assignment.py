"""Queues and assignment: eligibility, fairness, the reason recorded, capacity under concurrency,
accept, decline (back to the queue without them) and reassign (with the other modality)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from intake import services
from intake.extensions import db
from intake.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ClinicianProfile,
    Intake,
    Location,
    Notification,
    Role,
    User,
)
from tests import factories
from tests.support import api_client, api_key, sign_in

PASSWORD = "a-long-test-password-1"


def _user(email: str, role: str) -> User:
    from intake.passwords import hash_password

    user = User(email=email, display_name=email, role=role, password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.flush()
    return user


def clinician(email: str, **profile: Any) -> ClinicianProfile:
    defaults: dict[str, Any] = {
        "service_lines": ["depression"],
        "license_states": ["NY"],
        "modalities": ["virtual"],
        "capacity": 5,
    }
    row = ClinicianProfile(user=_user(email, Role.CLINICIAN), **{**defaults, **profile})
    db.session.add(row)
    db.session.flush()
    return row


def setup_practice(app: Flask, *clinicians: dict[str, Any]) -> None:
    with app.app_context():
        db.session.add(Location(code="nyc", name="NYC", state="NY"))
        db.session.add(Location(code="bos", name="Boston", state="MA"))
        db.session.flush()
        _user("coord@test.example", Role.STAFF)
        for spec in clinicians:
            clinician(**spec)
        db.session.commit()


def submit(app: Flask, **answers: Any) -> Intake:
    with app.app_context():
        result = services.submit_intake(factories.CONTACT, factories.answers(**answers))
        intake = db.session.get(Intake, result.intake.id)
        assert intake is not None
        db.session.expunge_all()
        return intake


def assigned_to(app: Flask, intake_id: int) -> str | None:
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        assert intake is not None
        current = intake.current_assignment
        return current.clinician.user.email if current else None


def test_virtual_needs_a_license_in_the_patients_state(app: Flask) -> None:
    setup_practice(
        app,
        {"email": "ca@x.example", "license_states": ["CA"]},
        {"email": "ny@x.example", "license_states": ["NY"]},
    )
    intake = submit(app, state="NY")
    assert assigned_to(app, intake.id) == "ny@x.example"
    assert submit(app, state="TX").status == "submitted"  # nobody licensed in TX


def test_in_person_needs_the_clinic_and_the_queue_names_it(app: Flask) -> None:
    setup_practice(
        app,
        {"email": "virtual@x.example"},
        {"email": "bos@x.example", "modalities": ["in_person"], "location_code": "bos"},
        {"email": "nyc@x.example", "modalities": ["in_person"], "location_code": "nyc"},
    )
    intake = submit(app, modality_preference="in_person", location="nyc")
    assert assigned_to(app, intake.id) == "nyc@x.example"
    assert intake.queue == "depression/in_person/nyc"
    with app.app_context():
        reason = db.session.query(Assignment).one().reason
    assert "at clinic nyc" in reason and "least loaded" in reason


def test_least_loaded_then_longest_waiting(app: Flask) -> None:
    setup_practice(app, {"email": "a@x.example"}, {"email": "b@x.example"})
    first = [assigned_to(app, submit(app).id) for _ in range(4)]
    assert first == ["a@x.example", "b@x.example", "a@x.example", "b@x.example"]


def test_ineligible_clinicians_are_skipped(app: Flask) -> None:
    setup_practice(
        app,
        {"email": "full@x.example", "capacity": 0},
        {"email": "closed@x.example", "accepting_new": False},
        {"email": "anxiety@x.example", "service_lines": ["anxiety"]},
    )
    with app.app_context():
        inactive = clinician("inactive@x.example")
        inactive.user.active = False
        db.session.commit()
    intake = submit(app)
    assert intake.status == "submitted" and assigned_to(app, intake.id) is None
    with app.app_context():
        kinds = [n.kind for n in db.session.query(Notification)]
        queued = db.session.query(AuditEvent).filter_by(action="intake.queued").one()
    assert kinds == []  # no email per intake: the coordinators' digest lists it
    assert queued.detail["queue"] == "depression/virtual"


@pytest.mark.commits  # threads, each with its own connection and locks
def test_fifty_parallel_submits_never_exceed_capacity(app: Flask) -> None:
    """50 intakes at once against one clinician with capacity 5: exactly 5 get them."""
    setup_practice(app, {"email": "only@x.example", "capacity": 5})

    api_key(app)  # made once, before the threads share it

    def post(_: int) -> int:
        return api_client(app).post("/api/v1/intakes", json=factories.payload()).status_code

    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(post, range(50)))
    assert statuses == [201] * 50
    with app.app_context():
        assert db.session.query(Intake).count() == 50
        assert db.session.query(Assignment).count() == 5
        assert db.session.query(Intake).filter_by(status="assigned").count() == 5
        assert db.session.query(Intake).filter_by(status="submitted").count() == 45
        kinds = sorted(n.kind for n in db.session.query(Notification))
    assert kinds == ["assignment"] * 5  # the other 45 wait for the coordinators' digest


def test_accept_and_decline_back_to_the_queue_without_them(app: Flask) -> None:
    setup_practice(app, {"email": "a@x.example"}, {"email": "b@x.example"})
    intake = submit(app)
    first = assigned_to(app, intake.id)
    mine, other = app.test_client(), app.test_client()
    assert sign_in(mine, first, PASSWORD).status_code == 302
    with app.app_context():
        offer = db.session.query(Assignment).one()
    page = mine.get(f"/clinician/intakes/{intake.id}")
    assert "Accept" in page.text and "Decline" in page.text
    # No reason: nothing changes.
    mine.post(f"/clinician/assignments/{offer.id}/decline", data={"reason": ""})
    assert assigned_to(app, intake.id) == first
    # Someone else's offer is a 404.
    second = "b@x.example" if first == "a@x.example" else "a@x.example"
    sign_in(other, second, PASSWORD)
    assert other.post(f"/clinician/assignments/{offer.id}/accept").status_code == 404

    response = mine.post(
        f"/clinician/assignments/{offer.id}/decline", data={"reason": "no openings this month"}
    )
    assert response.status_code == 302
    assert assigned_to(app, intake.id) == second
    with app.app_context():
        declined = db.session.get(Assignment, offer.id)
        assert declined is not None and declined.decline_reason == "no openings this month"
        new_offer = db.session.query(Assignment).filter_by(status="offered").one()
    assert other.post(f"/clinician/assignments/{new_offer.id}/accept").status_code == 302
    with app.app_context():
        intake_row = db.session.get(Intake, intake.id)
        assert intake_row is not None and intake_row.status == "accepted"
        actions = [a for (a,) in db.session.query(AuditEvent.action)]
    assert "assignment.declined" in actions and "assignment.accepted" in actions
    # Declined by both: nobody left, back to the queue.
    assert other.post(f"/clinician/assignments/{new_offer.id}/accept").status_code == 302
    other.post(f"/clinician/assignments/{new_offer.id}/decline", data={"reason": "conflict"})
    assert assigned_to(app, intake.id) is None


def test_staff_reassign_with_the_other_modality(app: Flask) -> None:
    setup_practice(
        app,
        {"email": "nyc@x.example", "modalities": ["in_person"], "location_code": "nyc"},
    )
    intake = submit(app, modality_preference="virtual")
    assert assigned_to(app, intake.id) is None  # nobody offers virtual
    staff = app.test_client()
    assert sign_in(staff, "coord@test.example", PASSWORD).status_code == 302
    page = staff.get(f"/staff/intakes/{intake.id}")
    assert "other modality" in page.text
    staff.post(f"/staff/intakes/{intake.id}/reassign", data={"modality": "in_person"})
    assert assigned_to(app, intake.id) == "nyc@x.example"
    # Reassign takes it back from them; nobody else is eligible, so it waits in the queue.
    staff.post(f"/staff/intakes/{intake.id}/reassign", data={"modality": ""})
    assert assigned_to(app, intake.id) is None
    with app.app_context():
        actions = [a for (a,) in db.session.query(AuditEvent.action)]
    assert {"intake.modality_changed", "assignment.released", "intake.reassigned"} <= set(actions)
    refused = staff.post(
        f"/staff/intakes/{intake.id}/reassign", data={"modality": "x"}, follow_redirects=True
    )
    assert "It cannot be reassigned." in refused.text


def test_routing_again_with_nobody_eligible_never_500s(app: Flask) -> None:
    """Reassign twice, switch modality twice, nobody eligible: every round answers, is recorded
    once, and makes the intake news for the coordinators again. (Each round used to write one
    row per coordinator keyed by the assignment count, so two rounds without an assignment in
    between wrote the same dedupe key: an IntegrityError, a 500 on the second reassign.)"""
    setup_practice(app, {"email": "anx@x.example", "service_lines": ["anxiety"]})
    with app.app_context():
        _user("coord2@test.example", Role.STAFF)
        db.session.commit()
    intake = submit(app)  # depression: nobody offers it, in either modality
    assert assigned_to(app, intake.id) is None
    staff = app.test_client()
    assert sign_in(staff, "coord@test.example", PASSWORD).status_code == 302
    rounds = [{"modality": ""}, {"modality": ""}, {"modality": "in_person"}]
    rounds += [{"modality": "virtual"}, {"modality": "in_person"}]
    queued = [_queued_at(app, intake.id)]
    for form in rounds:
        response = staff.post(f"/staff/intakes/{intake.id}/reassign", data=form)
        assert response.status_code == 302, (form, response.status_code)
        done = staff.get(response.headers["Location"])
        assert done.status_code == 200 and "Assignment ran again." in done.text
        queued.append(_queued_at(app, intake.id))
    assert queued == sorted(set(queued)), queued  # each round is news for the next digest
    with app.app_context():
        row = db.session.get(Intake, intake.id)
        assert row is not None and row.modality == "in_person" and row.assignments == []
        actions = Counter(
            action
            for (action,) in db.session.query(AuditEvent.action).filter(
                AuditEvent.object_type == "intake", AuditEvent.object_id == str(intake.id)
            )
        )
        per_intake = db.session.query(Notification).filter_by(intake_id=intake.id).count()
    assert actions["intake.queued"] == 1 + len(rounds)
    assert actions["intake.reassigned"] == len(rounds)
    assert actions["intake.modality_changed"] == 3
    assert per_intake == 0  # coordinators hear through the digest, not once per intake


def _queued_at(app: Flask, intake_id: int) -> Any:
    with app.app_context():
        row = db.session.get(Intake, intake_id)
        assert row is not None and row.queued_at is not None
        return row.queued_at


@pytest.mark.commits  # threads, each with its own connection and locks
def test_parallel_submits_with_one_idempotency_key_make_one_intake(app: Flask) -> None:
    """A retried request racing the first: one intake, and every answer names it (no 500)."""
    setup_practice(app, {"email": "only@x.example", "capacity": 5})
    body = factories.payload()
    api_key(app)  # made once, before the threads share it

    def post(_: int) -> tuple[int, str]:
        response = api_client(app).post(
            "/api/v1/intakes", json=body, headers={"Idempotency-Key": "retry-race-0001"}
        )
        return response.status_code, (response.json or {}).get("reference", "")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(8)))
    assert {status for status, _ in answers} <= {200, 201}, answers
    assert len({reference for _, reference in answers}) == 1
    with app.app_context():
        assert db.session.query(Intake).count() == 1


def test_a_closed_intake_leaves_the_caseload_and_stays_readable(app: Flask) -> None:
    """Capacity counts open work: once an accepted intake is closed, its clinician can take a
    new one (and still reads the closed one); reopening puts it back on their caseload."""
    from intake.services import workspace

    setup_practice(app, {"email": "solo@x.example", "capacity": 1})
    first = submit(app)
    with app.app_context():
        offer_id = db.session.query(Assignment.id).scalar()
        solo = db.session.query(User).filter_by(email="solo@x.example").one()
        assert services.accept(offer_id, solo) == services.Outcome.DONE
    assert assigned_to(app, submit(app).id) is None  # full: one accepted of one
    reader = app.test_client()
    sign_in(reader, "solo@x.example", PASSWORD)
    with app.app_context():
        coordinator = db.session.query(User).filter_by(role=Role.STAFF).one()
        reason = sorted(workspace.CLOSE_REASONS)[0]
        assert workspace.close(first.id, coordinator, reason) == workspace.Result.DONE
        closed = db.session.get(Assignment, offer_id)
        assert closed is not None and closed.status == AssignmentStatus.COMPLETED
    assert reader.get(f"/clinician/intakes/{first.id}").status_code == 200
    assert "solo@x.example" == assigned_to(app, submit(app).id)  # room again
    with app.app_context():
        coordinator = db.session.query(User).filter_by(role=Role.STAFF).one()
        assert workspace.reopen(first.id, coordinator) == workspace.Result.DONE
        reopened = db.session.get(Assignment, offer_id)
        assert reopened is not None and reopened.status == AssignmentStatus.ACCEPTED
