"""The staff workspace: roles, finding anyone, overriding, choosing a clinician, outreach,
closing, the work-queue tabs and the intake page's answers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from intake import queries
from intake.extensions import db
from intake.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ClinicianProfile,
    Intake,
    Notification,
    NotificationKind,
    OutreachAttempt,
    User,
)
from intake.services import submit_intake
from intake.validation import AVAILABILITY
from tests import factories
from tests.support import count_queries, sign_in

COORDINATOR = "coordinator@demo.wayfinder"
ADMIN = "admin@demo.wayfinder"


def _submit(app: Any, contact: dict[str, Any] | None = None, **answers: Any) -> Intake:
    with app.app_context():
        return submit_intake(
            {**factories.CONTACT, **(contact or {})}, factories.answers(**answers)
        ).intake


def _get(app: Any, intake_id: int) -> Intake:
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        assert intake is not None
        return intake


def _holder(app: Any, intake_id: int) -> tuple[int, int] | None:
    """(assignment id, clinician profile id) of the intake's open assignment, if any."""
    with app.app_context():
        intake = db.session.get(Intake, intake_id)
        current = intake.current_assignment if intake else None
        return (current.id, current.clinician_id) if current else None


# --- 1. roles ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/staff/"),
        ("get", "/staff/intakes"),
        ("get", "/staff/intakes/1"),
        ("post", "/staff/intakes/1/override"),
        ("post", "/staff/intakes/1/reassign"),
        ("post", "/staff/intakes/1/outreach"),
        ("post", "/staff/intakes/1/close"),
        ("post", "/staff/intakes/1/reopen"),
        ("get", "/staff/outbox"),
    ],
)
def test_a_clinician_gets_a_plain_403_on_every_staff_route(
    client: Any, demo: Any, method: str, path: str
) -> None:
    sign_in(client, "ana.rivera@demo.wayfinder")
    response = getattr(client, method)(path)
    assert response.status_code == 403
    assert "have access" in response.text


@pytest.mark.parametrize("path", ["/staff/intakes", "/staff/intakes/1/override"])
def test_anonymous_is_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.post(path) if path.endswith("override") else client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_coordinator_and_admin_reach_the_list(client: Any, demo: Any) -> None:
    for who in (COORDINATOR, ADMIN):
        sign_in(client, who)
        assert client.get("/staff/intakes").status_code == 200


# --- 2. find anyone ---------------------------------------------------------------------------


def test_search_by_reference_email_phone_and_name_through_keyed_hashes(
    app: Any, client: Any, demo: Any
) -> None:
    target = _submit(
        app,
        {
            "first_name": "Rosalind",
            "last_name": "Okonkwo-Vale",
            "email": "Ros.V@Example.org",
            "phone": "(646) 555-0199",
        },
    )
    other = _submit(app, {"first_name": "Someone", "last_name": "Else", "phone": "212 555 0100"})
    with app.app_context():
        row = db.session.get(Intake, target.id)
        assert row is not None and row.phone_hash and row.email_hash and row.name_hash
        assert "0199" not in row.phone_hash  # a keyed hash, never the number
    sign_in(client, COORDINATOR)
    with count_queries(app) as seen:
        for q in (
            target.reference.lower(),
            "ros.v@example.org",
            "+1 646-555-0199",
            "  rosalind   OKONKWO-vale ",
        ):
            page = client.get("/staff/intakes", query_string={"q": q})
            assert page.status_code == 200, q
            assert target.reference in page.text, q
            assert other.reference not in page.text, q
            assert "Rosalind" in page.text  # the name is in the row
    assert not any(" LIKE " in s.upper() or "ILIKE" in s.upper() for s in seen)
    assert not any("OFFSET" in s.upper() for s in seen)
    miss = client.get("/staff/intakes", query_string={"q": "Rosalind"})  # a full name only
    assert target.reference not in miss.text and "No intakes match" in miss.text


def test_filters_and_status_all(app: Any, client: Any, demo: Any) -> None:
    routine = _submit(app)
    urgent = _submit(app, phq9_9=1)
    ca = _submit(app, state="CA")
    sign_in(client, COORDINATOR)

    def refs(**args: str) -> set[str]:
        text = client.get("/staff/intakes", query_string=args).text
        return {i.reference for i in (routine, urgent, ca) if i.reference in text}

    assert refs() == {routine.reference, urgent.reference, ca.reference}
    assert refs(urgency="urgent") == {urgent.reference}
    assert refs(state="ca") == {ca.reference}
    assert refs(service_line="depression") == {routine.reference, urgent.reference, ca.reference}
    assert refs(service_line="ocd") == set()
    held = _holder(app, routine.id)
    assert held is not None
    assert routine.reference in refs(clinician=str(held[1]))
    today = datetime.now(UTC).date()
    assert refs(**{"from": "2000-01-01", "to": today.replace(year=today.year + 1).isoformat()})
    assert refs(to="2000-01-01") == set()
    sign_in(client, COORDINATOR)
    client.post(f"/staff/intakes/{routine.id}/close", data={"reason": "duplicate"})
    assert routine.reference not in refs()  # open work by default
    assert refs(status="closed") == {routine.reference}
    assert routine.reference in refs(status="all")


@pytest.mark.parametrize(
    "args",
    [
        {"urgency": "panic"},
        {"status": "draft"},
        {"service_line": "x" * 500},
        {"modality": "carrier-pigeon"},
        {"state": "ZZ"},
        {"clinician": "abc"},
        {"from": "2026-13-40"},
        {"to": "yesterday"},
        {"tab": "everything"},
        {"after": "not-a-cursor"},
        {"after": "1.99999999999999999999.3"},
    ],
)
def test_bad_filter_values_get_a_clear_400(client: Any, demo: Any, args: dict[str, str]) -> None:
    sign_in(client, COORDINATOR)
    response = client.get("/staff/intakes", query_string=args)
    assert response.status_code == 400
    assert "couldn't use that search" in response.text


def test_keyset_pages_cover_equal_sort_keys_exactly_once(app: Any, demo: Any) -> None:
    ids = [_submit(app).id for _ in range(7)]
    same = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with app.app_context():
        for intake in db.session.scalars(select(Intake).where(Intake.id.in_(ids))):
            intake.submitted_at = same  # every sort key equal but the id
            intake.urgency_rank = 3
        db.session.flush()
        seen: list[int] = []
        after = None
        while True:
            page = queries.find_intakes(queries.IntakeFilter(), after, size=3)
            seen += [i.id for i in page.rows]
            if page.next_cursor is None:
                break
            after = queries.Cursor.decode(page.next_cursor)
        assert seen == sorted(ids)


def test_the_list_follows_next_page_links(app: Any, client: Any, demo: Any) -> None:
    ids = [_submit(app).id for _ in range(3)]
    sign_in(client, COORDINATOR)
    first = client.get("/staff/intakes")
    assert "Next page" not in first.text  # three rows fit on one page
    with app.app_context():
        rows = queries.find_intakes(queries.IntakeFilter(), size=2)
        assert [r.id for r in rows.rows] == ids[:2] and rows.next_cursor
    second = client.get("/staff/intakes", query_string={"after": rows.next_cursor})
    assert second.status_code == 200
    refs = {_get(app, i).reference for i in ids}
    assert sum(r in second.text for r in refs) == 1


# --- 3. override, reassign, outreach, close ---------------------------------------------------


def test_override_keeps_the_decision_and_raising_to_crisis_alerts(
    app: Any, client: Any, demo: Any
) -> None:
    intake = _submit(app)
    sign_in(client, COORDINATOR)
    refused = client.post(f"/staff/intakes/{intake.id}/override", data={"urgency": "crisis"})
    assert refused.status_code == 302
    assert _get(app, intake.id).urgency == "routine"  # no reason, no change
    client.post(
        f"/staff/intakes/{intake.id}/override",
        data={"urgency": "crisis", "reason": "said on the phone they have a plan"},
    )
    with app.app_context():
        row = db.session.get(Intake, intake.id)
        assert row is not None
        assert row.urgency == "crisis" and row.urgency_rank == 0 and row.crisis_at is not None
        assert row.decision is not None and row.decision["urgency"] == "routine"
        assert row.overrides and row.overrides[0]["fields"]["urgency"] == {
            "from": "routine",
            "to": "crisis",
        }
        event_ = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "intake.overridden")
        )
        assert event_ is not None and event_.detail["direction"] == "raise"
        assert "plan" not in str(event_.detail)  # the reason stays on the intake
        assert db.session.scalar(
            select(Notification.id).where(
                Notification.intake_id == intake.id,
                Notification.kind == NotificationKind.CRISIS_ALERT,
            )
        )
    page = client.get(f"/staff/intakes/{intake.id}")
    assert "The rules decided" in page.text and "said on the phone" in page.text
    # The same override again changes nothing.
    client.post(
        f"/staff/intakes/{intake.id}/override",
        data={"urgency": "crisis", "reason": "again"},
    )
    assert len(_get(app, intake.id).overrides or []) == 1


def test_lowering_a_crisis_needs_more_than_a_coordinator(app: Any, client: Any, demo: Any) -> None:
    intake = _submit(app, safe_now="no")
    assert _get(app, intake.id).urgency == "crisis"
    sign_in(client, COORDINATOR)
    client.post(
        f"/staff/intakes/{intake.id}/override",
        data={"urgency": "urgent", "reason": "spoke to them, safe with family"},
    )
    assert _get(app, intake.id).urgency == "crisis"
    admin = app.test_client()
    sign_in(admin, ADMIN)
    admin.post(
        f"/staff/intakes/{intake.id}/override",
        data={"urgency": "urgent", "reason": "spoke to them, safe with family"},
    )
    row = _get(app, intake.id)
    assert row.urgency == "urgent" and (row.decision or {})["urgency"] == "crisis"
    with app.app_context():
        detail = db.session.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "intake.overridden")
        )
        assert detail is not None and detail["direction"] == "lower"


def _profile(app: Any, email: str) -> int:
    with app.app_context():
        pid = db.session.scalar(select(ClinicianProfile.id).join(User).where(User.email == email))
        assert pid is not None
        return int(pid)


def test_reassign_to_a_chosen_clinician_withdraws_the_old_one(
    app: Any, client: Any, demo: Any
) -> None:
    intake = _submit(app)  # depression, virtual, NY
    current = _holder(app, intake.id)
    assert current is not None
    current_id, current_clinician = current
    with app.app_context():
        old = db.session.get(ClinicianProfile, current_clinician)
        assert old is not None
        old_email = old.user.email
    target = next(
        e for e in ("ana.rivera@demo.wayfinder", "jordan.blake@demo.wayfinder") if e != old_email
    )
    holder = app.test_client()
    sign_in(holder, old_email)
    assert holder.get(f"/clinician/intakes/{intake.id}").status_code == 200
    sign_in(client, COORDINATOR)
    # Without a reason: nothing happens.
    client.post(
        f"/staff/intakes/{intake.id}/reassign", data={"clinician_id": _profile(app, target)}
    )
    assert _holder(app, intake.id) == current
    client.post(
        f"/staff/intakes/{intake.id}/reassign",
        data={"clinician_id": _profile(app, target), "reason": "speaks their language"},
    )
    row = _get(app, intake.id)
    with app.app_context():
        now_held = db.session.scalar(
            select(Assignment).where(
                Assignment.intake_id == intake.id, Assignment.status == "offered"
            )
        )
        assert now_held is not None and now_held.clinician_id == _profile(app, target)
        assert "speaks their language" in now_held.reason
        released = db.session.get(Assignment, current_id)
        assert released is not None and released.status == AssignmentStatus.RELEASED
        assert db.session.scalar(
            select(Notification.id).where(
                Notification.kind == NotificationKind.ASSIGNMENT_WITHDRAWN,
                Notification.dedupe_key == f"withdrawn:{current_id}",
            )
        )
    assert row.status == "assigned"
    assert holder.get(f"/clinician/intakes/{intake.id}").status_code == 404


def test_an_ineligible_clinician_needs_an_explicit_override(
    app: Any, client: Any, demo: Any
) -> None:
    intake = _submit(app)  # virtual care in NY: Dr. Mei Chen is licensed in CA and TX only
    chen = _profile(app, "mei.chen@demo.wayfinder")
    sign_in(client, COORDINATOR)
    page = client.get(f"/staff/intakes/{intake.id}")
    assert "not licensed or located" in page.text
    client.post(
        f"/staff/intakes/{intake.id}/reassign", data={"clinician_id": chen, "reason": "asked"}
    )
    assert (_holder(app, intake.id) or (0, 0))[1] != chen
    client.post(
        f"/staff/intakes/{intake.id}/reassign",
        data={
            "clinician_id": chen,
            "reason": "asked",
            "override_eligibility": "yes",
            "eligibility_reason": "moving to CA next week",
        },
    )
    assert (_holder(app, intake.id) or (0, 0))[1] == chen


def test_outreach_attempts_first_contact_close_and_reopen(app: Any, client: Any, demo: Any) -> None:
    intake = _submit(app)
    sign_in(client, COORDINATOR)
    url = f"/staff/intakes/{intake.id}"
    first = {"channel": "call", "outcome": "no_answer", "form_token": "a" * 24, "note": "rang"}
    client.post(f"{url}/outreach", data=first)
    client.post(f"{url}/outreach", data=first)  # the same form twice: recorded once
    client.post(
        f"{url}/outreach", data={"channel": "text", "outcome": "reached", "form_token": "b" * 24}
    )
    with app.app_context():
        attempts = db.session.scalars(
            select(OutreachAttempt).where(OutreachAttempt.intake_id == intake.id)
        ).all()
        assert [(a.channel, a.outcome) for a in attempts] == [
            ("call", "no_answer"),
            ("text", "reached"),
        ]
    row = _get(app, intake.id)
    assert row.status == "contacted" and row.first_contact_at is not None
    assert "First contact" in client.get(url).text
    client.post(f"{url}/close", data={"reason": "scheduled"})
    row = _get(app, intake.id)
    assert row.status == "closed" and row.close_reason == "scheduled"
    client.post(f"{url}/reopen")
    assert _get(app, intake.id).status == "contacted"
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert {"intake.outreach", "intake.closed", "intake.reopened"} <= actions


# --- 4. tabs and the intake page --------------------------------------------------------------


def test_tabs_count_and_filter(app: Any, client: Any, demo: Any) -> None:
    assigned = _submit(app)
    crisis = _submit(app, safe_now="no")
    sign_in(client, COORDINATOR)
    client.post(f"/staff/intakes/{assigned.id}/close", data={"reason": "duplicate"})
    with app.app_context():
        counts = queries.tab_counts()
    assert counts["closed"] == 1 and counts["needs_action"] >= 1
    page = client.get("/staff/intakes", query_string={"tab": "needs_action"})
    assert crisis.reference in page.text and assigned.reference not in page.text
    assert f'Closed <span class="count">({counts["closed"]})' in page.text
    assert "Open intakes per queue and urgency" in page.text
    closed = client.get("/staff/intakes", query_string={"tab": "closed"})
    assert assigned.reference in closed.text and crisis.reference not in closed.text


def test_intake_page_shows_every_answer_without_noise_in_local_time(
    app: Any, client: Any, demo: Any
) -> None:
    intake = _submit(
        app,
        {
            "email": "pat@example.org",
            "insurance": {"carrier": "Aetna-canary", "member_id": "M-12345"},
            "availability": [AVAILABILITY[0]],
        },
    )
    sign_in(client, COORDINATOR)
    text = client.get(f"/staff/intakes/{intake.id}").text
    assert "Aetna-canary" in text and "M-12345" in text
    assert AVAILABILITY[0].replace("_", " ") in text or AVAILABILITY[0] in text
    assert "None" not in text
    assert factories.FREE_TEXT in text
    # safe_now's answer shows with the question's wording from the form.
    from intake.questionnaire import QUESTIONS

    assert QUESTIONS["safe_now"].text in text
    # The offer's deadline is in the practice's time zone, never "UTC".
    assert " UTC" not in text


# --- the clinician portal ---------------------------------------------------------------------


def test_a_clinician_records_first_contact_on_their_own_intake_only(app: Any, demo: Any) -> None:
    intake = _submit(app)
    held = _holder(app, intake.id)
    assert held is not None
    with app.app_context():
        profile = db.session.get(ClinicianProfile, held[1])
        assert profile is not None
        owner = profile.user.email
    other = next(
        e for e in ("ana.rivera@demo.wayfinder", "jordan.blake@demo.wayfinder") if e != owner
    )
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, owner)
    sign_in(theirs, other)
    listing = mine.get("/clinician/")
    assert "Accept by" in listing.text and " UTC" not in listing.text
    mine.post(f"/clinician/assignments/{held[0]}/accept")
    form = {"channel": "call", "outcome": "reached", "form_token": "c" * 24}
    assert theirs.post(f"/clinician/intakes/{intake.id}/outreach", data=form).status_code == 404
    assert _get(app, intake.id).first_contact_at is None
    assert mine.post(f"/clinician/intakes/{intake.id}/outreach", data=form).status_code == 302
    row = _get(app, intake.id)
    assert row.status == "contacted" and row.first_contact_at is not None
    assert "First contact made" in mine.get(f"/clinician/intakes/{intake.id}").text


def test_every_staff_page_has_the_crisis_banner(app: Any, client: Any, demo: Any) -> None:
    _submit(app, safe_now="no")
    sign_in(client, COORDINATOR)
    for path in ("/staff/", "/staff/intakes", "/staff/rules", "/staff/outbox"):
        assert "1 crisis alert(s) not acknowledged" in client.get(path).text, path


def test_the_banner_fragment_updates_without_a_reload_and_stops_when_idle(
    app: Any, client: Any, demo: Any
) -> None:
    sign_in(client, COORDINATOR)
    page = client.get("/staff/").text
    assert 'id="staff-banner"' in page and 'aria-live="polite"' in page
    assert 'hx-trigger="every 30s"' in page and "htmx.min.js" in page
    since = int(datetime.now(UTC).timestamp())
    quiet = client.get("/staff/banner", query_string={"since": since})
    assert quiet.status_code == 200 and "crisis alert" not in quiet.text
    _submit(app, safe_now="no")
    live = client.get("/staff/banner", query_string={"since": since})
    assert live.status_code == 200 and "1 crisis alert(s) not acknowledged" in live.text
    assert "<html" not in live.text  # the fragment only
    idle = app.config["SESSION_IDLE_SECONDS"]
    stale = client.get("/staff/banner", query_string={"since": since - idle - 1})
    assert stale.status_code == 286 and "paused" in stale.text  # htmx stops polling
    assert client.get("/static/htmx.min.js").status_code == 200


def test_the_banner_poll_does_not_keep_an_unattended_session_alive(
    app: Any, client: Any, demo: Any, monkeypatch: Any
) -> None:
    """A poll is the page's doing, not the person's: the idle limit (900 s) still ends the
    session of a screen left open, however many polls it made."""
    import time

    from intake import sessions

    start = time.time()
    sign_in(client, COORDINATOR)
    since = int(datetime.now(UTC).timestamp())
    for offset in (300, 600, 850):
        monkeypatch.setattr(sessions, "_now", lambda offset=offset: start + offset)
        polled = client.get("/staff/banner", query_string={"since": since})
        assert polled.status_code in (200, 286)
    monkeypatch.setattr(sessions, "_now", lambda: start + 901)
    gone = client.get("/staff/")
    assert gone.status_code == 302 and "/auth/login" in gone.headers["Location"]


# --- internal notes, messages and the timeline ------------------------------------------------


def _note(client: Any, intake_id: int, body: str, token: str = "n" * 24) -> Any:
    return client.post(
        f"/staff/intakes/{intake_id}/notes", data={"body": body, "form_token": token}
    )


def test_a_note_is_saved_once_audited_by_id_and_shown(app: Any, client: Any, demo: Any) -> None:
    from intake.models import Note

    intake = _submit(app)
    sign_in(client, COORDINATOR)
    text = "canary-note: call after 5pm, mother answers"
    first = _note(client, intake.id, text)
    again = _note(client, intake.id, text)  # the same form sent twice
    assert first.status_code == again.status_code == 302
    with app.app_context():
        notes = db.session.scalars(select(Note).where(Note.intake_id == intake.id)).all()
        assert [n.body for n in notes] == [text]
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "intake.note_added")
        ).all()
        assert [e.detail for e in events] == [{"note": notes[0].id}]
        assert all("canary-note" not in str(e.detail) for e in events)
    page = client.get(f"/staff/intakes/{intake.id}").text
    assert text in page and "Casey Coordinator" in page
    assert "Internal note added" in page  # in the timeline too


@pytest.mark.parametrize(
    ("body", "said"), [("   ", "Write the note"), ("x" * 4001, "at most 4,000 characters")]
)
def test_an_empty_or_too_long_note_is_refused_clearly(
    app: Any, client: Any, demo: Any, body: str, said: str
) -> None:
    from intake.models import Note

    intake = _submit(app)
    sign_in(client, COORDINATOR)
    response = _note(client, intake.id, body)
    assert response.status_code == 302
    assert said in client.get(response.headers["Location"]).text
    with app.app_context():
        assert db.session.scalars(select(Note)).all() == []
    assert _note(client, 999999, "fine").status_code == 404
    assert _note(client, intake.id, "fine", token="short").status_code == 400


def test_the_intake_page_lists_its_messages_and_a_timeline_in_local_time(
    app: Any, client: Any, demo: Any
) -> None:
    from intake.models import NotificationStatus

    intake = _submit(app, safe_now="no")
    with app.app_context():
        alert = db.session.scalars(
            select(Notification).where(
                Notification.intake_id == intake.id,
                Notification.kind == NotificationKind.CRISIS_ALERT,
            )
        ).first()
        assert alert is not None
        alert.status = NotificationStatus.DEAD
        alert.attempts = 5
        db.session.commit()
        alert_id = alert.id
    sign_in(client, COORDINATOR)
    page = client.get(f"/staff/intakes/{intake.id}").text
    assert ">Crisis alert<" in page
    assert f"/staff/notifications/{alert_id}/retry" in page
    assert "Submitted; the rules decided" in page and "Crisis alert sent" in page
    assert " EST" in page or " EDT" in page  # the practice's clock, not UTC
    retried = client.post(
        f"/staff/notifications/{alert_id}/retry",
        data={"back": "intake", "intake_id": str(intake.id)},
    )
    assert retried.headers["Location"].endswith(f"/staff/intakes/{intake.id}#h-messages")
    assert "A message was queued again" in client.get(f"/staff/intakes/{intake.id}").text


def test_the_assigned_clinician_reads_and_adds_notes_others_get_a_404(
    app: Any, client: Any, demo: Any
) -> None:
    intake = _submit(app)
    held = _holder(app, intake.id)
    assert held is not None
    with app.app_context():
        profile = db.session.get(ClinicianProfile, held[1])
        assert profile is not None
        owner = profile.user.email
    other = next(
        e for e in ("ana.rivera@demo.wayfinder", "jordan.blake@demo.wayfinder") if e != owner
    )
    sign_in(client, COORDINATOR)
    _note(client, intake.id, "canary-staff-note")
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, owner)
    sign_in(theirs, other)
    page = mine.get(f"/clinician/intakes/{intake.id}").text
    assert "canary-staff-note" in page and "Timeline" in page
    assert "Messages" not in page  # the outbox is the coordinators' business
    form = {"body": "canary-clinician-note", "form_token": "k" * 24}
    assert theirs.post(f"/clinician/intakes/{intake.id}/notes", data=form).status_code == 404
    done = mine.post(f"/clinician/intakes/{intake.id}/notes", data=form)
    assert done.status_code == 302
    assert "canary-clinician-note" in client.get(f"/staff/intakes/{intake.id}").text
