"""A clinician declining an offer: the reason's limits, and someone else's offer is a 404; access
ends with the assignment (declined, or taken back by staff), and a clinician it was taken from is
told by a PHI-free email."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from intake import notifications
from intake.clinician.views import DECLINE_REASON_MAX
from intake.extensions import db
from intake.models import Assignment, Intake, Notification, NotificationKind
from intake.screening import INSTRUMENTS
from intake.triage import URGENCIES
from tests import factories
from tests.support import sign_in

FLASH = "Give a reason for declining"


def _offer(app: Any) -> tuple[int, int, str, str]:
    """A submitted intake's offer: (assignment id, intake id, owner email, another clinician)."""
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake = db.session.query(Intake).one()
        offer = intake.current_assignment
        owner = offer.clinician.user.email
        other = next(
            e for e in ("ana.rivera@demo.wayfinder", "mei.chen@demo.wayfinder") if e != owner
        )
        return offer.id, intake.id, owner, other


def test_someone_elses_offer_is_a_404_without_a_stray_message(app: Any, demo: Any) -> None:
    offer_id, _, _, other = _offer(app)
    theirs = app.test_client()
    sign_in(theirs, other)
    for reason in ("", "x" * (DECLINE_REASON_MAX + 1)):
        response = theirs.post(
            f"/clinician/assignments/{offer_id}/decline", data={"reason": reason}
        )
        assert response.status_code == 404 and FLASH not in response.text
    assert FLASH not in theirs.get("/clinician/").text  # nor a message left for a later page


def test_a_reason_up_to_what_is_stored_is_accepted_longer_is_refused(app: Any, demo: Any) -> None:
    offer_id, intake_id, owner, _ = _offer(app)
    mine = app.test_client()
    sign_in(mine, owner)
    page = mine.get(f"/clinician/intakes/{intake_id}").text
    assert f'maxlength="{DECLINE_REASON_MAX}"' in page
    path = f"/clinician/assignments/{offer_id}/decline"
    too_long = mine.post(path, data={"reason": "x" * (DECLINE_REASON_MAX + 1)})
    assert too_long.status_code == 302 and too_long.headers["Location"].endswith(
        f"/clinician/intakes/{intake_id}"
    )
    assert FLASH in mine.get(too_long.headers["Location"]).text
    reason = "r" * DECLINE_REASON_MAX  # longer than the old 500, all of it kept
    assert mine.post(path, data={"reason": reason}).status_code == 302
    with app.app_context():
        declined = db.session.get(Assignment, offer_id)
        assert declined is not None and declined.status == "declined"
        assert declined.decline_reason == reason


def _every_route(client: Any, intake_id: int, offer_id: int) -> dict[str, int]:
    """The status of every page a clinician could reach that intake or its assignment by."""
    return {
        "view": client.get(f"/clinician/intakes/{intake_id}").status_code,
        "accept": client.post(f"/clinician/assignments/{offer_id}/accept").status_code,
        "decline": client.post(
            f"/clinician/assignments/{offer_id}/decline", data={"reason": "again"}
        ).status_code,
        "decline, no reason": client.post(
            f"/clinician/assignments/{offer_id}/decline", data={"reason": ""}
        ).status_code,
        "staff view": client.get(f"/staff/intakes/{intake_id}").status_code,
        "reassign": client.post(f"/staff/intakes/{intake_id}/reassign").status_code,
        "fhir": client.get(f"/api/v1/intakes/{intake_id}/questionnaire-response").status_code,
    }


GONE = {
    **{route: 404 for route in ("view", "accept", "decline", "decline, no reason") + ("fhir",)},
    # The staff workspace is refused to every clinician, with or without an assignment.
    "staff view": 403,
    "reassign": 403,
}


def test_a_declined_intake_is_a_404_for_who_declined_it(app: Any, demo: Any) -> None:
    offer_id, intake_id, owner, _ = _offer(app)
    mine = app.test_client()
    sign_in(mine, owner)
    assert mine.get(f"/clinician/intakes/{intake_id}").status_code == 200
    declined = mine.post(f"/clinician/assignments/{offer_id}/decline", data={"reason": "full"})
    assert declined.status_code == 302
    assert _every_route(mine, intake_id, offer_id) == GONE
    with app.app_context():
        reference = db.session.get(Intake, intake_id).reference
        assert db.session.get(Assignment, offer_id).status == "declined"  # nothing changed
    assert reference not in mine.get("/clinician/").text
    # They know they declined: no withdrawal email for them.
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind)).all()
    assert NotificationKind.ASSIGNMENT_WITHDRAWN not in kinds


def _withdrawn(app: Any) -> list[Notification]:
    with app.app_context():
        rows = db.session.scalars(
            select(Notification)
            .where(Notification.kind == NotificationKind.ASSIGNMENT_WITHDRAWN)
            .order_by(Notification.id)
        ).all()
        for row in rows:
            _ = row.recipient, row.intake
        db.session.expunge_all()
        return list(rows)


def test_reassigned_away_the_intake_is_a_404_and_they_are_told(app: Any, demo: Any) -> None:
    offer_id, intake_id, owner, _ = _offer(app)
    mine, staff = app.test_client(), app.test_client()
    sign_in(mine, owner)
    sign_in(staff, "coordinator@demo.wayfinder")
    assert mine.post(f"/clinician/assignments/{offer_id}/accept").status_code == 302
    assert mine.get(f"/clinician/intakes/{intake_id}").status_code == 200  # accepted: still theirs

    assert staff.post(f"/staff/intakes/{intake_id}/reassign").status_code == 302
    assert _every_route(mine, intake_id, offer_id) == GONE
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        assert intake is not None
        new_owner = intake.current_assignment.clinician.user.email
        assert new_owner != owner
        assert db.session.get(Assignment, offer_id).status == "released"
    rows = _withdrawn(app)
    assert [(r.recipient.email, r.dedupe_key) for r in rows] == [(owner, f"withdrawn:{offer_id}")]
    # The new clinician has it; a second reassign takes it from them: one message each.
    assert staff.post(f"/staff/intakes/{intake_id}/reassign").status_code == 302
    assert [r.recipient.email for r in _withdrawn(app)] == [owner, new_owner]


def test_the_withdrawal_email_holds_a_reference_and_no_health_information(
    app: Any, demo: Any
) -> None:
    _offer_id, intake_id, _owner, _ = _offer(app)
    staff = app.test_client()
    sign_in(staff, "coordinator@demo.wayfinder")
    staff.post(f"/staff/intakes/{intake_id}/reassign")
    with app.app_context():
        row = db.session.scalars(
            select(Notification).where(Notification.kind == NotificationKind.ASSIGNMENT_WITHDRAWN)
        ).one()
        intake = row.intake
        message = notifications.compose(row)
        raw = message.as_string()
        subject = str(message["Subject"])
        texts = [part.get_content() for part in message.iter_parts()]
        assert {p.get_content_type() for p in message.iter_parts()} == {"text/plain", "text/html"}
        assert intake.reference in subject and all(intake.reference in t for t in texts)
        assert all("withdrawn" in t for t in texts)
        assert app.config["BASE_URL"].rstrip("/") + "/clinician/" in raw  # their own list
        assert f"/clinician/intakes/{intake_id}" not in raw  # a 404 for them now
        told = (subject + "\n" + "\n".join(texts)).lower()
        words = {*URGENCIES, intake.service_line, intake.queue, intake.modality}
        words |= {w for i in INSTRUMENTS.values() for w in (i.key, i.name)} | {"phq", "gad"}
        words |= {c.lower() for c in (*factories.CONTACT.values(), factories.FREE_TEXT)}
        for word in sorted(w for w in words if w):
            assert word.lower() not in told, word


def test_coordinators_are_told_of_a_decline_by_reference_and_deadline_only(
    app: Any, demo: Any
) -> None:
    from intake.models import User

    offer_id, intake_id, owner, _ = _offer(app)
    mine = app.test_client()
    sign_in(mine, owner)
    reason = "canary-decline-reason: on leave"
    assert (
        mine.post(f"/clinician/assignments/{offer_id}/decline", data={"reason": reason})
    ).status_code == 302
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(
                Notification.kind == NotificationKind.ASSIGNMENT_DECLINED,
                Notification.intake_id == intake_id,
            )
        ).all()
        coordinators = db.session.scalars(select(User).where(User.role == "staff")).all()
        assert {r.recipient_user_id for r in rows} == {u.id for u in coordinators}
        intake = db.session.get(Intake, intake_id)
        assert intake is not None
        forbidden = {*URGENCIES, intake.queue, intake.service_line or "", reason, "canary"}
        forbidden |= {w for i in INSTRUMENTS.values() for w in (i.key, i.name)}
        forbidden |= {str(v) for v in factories.CONTACT.values()}
        for row in rows:
            message = notifications.compose(row)
            told = str(message["Subject"]) + "".join(
                part.get_content() for part in message.iter_parts()
            )
            assert intake.reference in told and f"/staff/intakes/{intake_id}" in told
            for word in forbidden:
                assert word.lower() not in told.lower(), word
            if intake.current_assignment is not None:  # offered again: its accept-by time
                assert "accept by" in str(message["Subject"]).lower()
