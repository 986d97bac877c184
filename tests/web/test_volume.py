"""Nobody outside can drain clinician capacity or flood an inbox.

- Automatic assignment is capped per source (an API client, or one client address on the public
  form) per hour; beyond it intakes are saved, show crisis help, alert a crisis, and wait for a
  coordinator flagged `volume`. An admin may raise the cap for one trusted client.
- Coordinators get a digest of unassigned intakes at most every 15 minutes, not a mail per
  intake: references and waiting times only.
- Patient emails (resume links, confirmations) are limited per recipient address, across drafts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from intake.extensions import db
from intake.models import Intake, Notification, utcnow
from intake.notifications import compose
from intake.services import drafts
from intake.services.digest import EVERY, send_unassigned_digests
from tests import factories
from tests.support import api_client, api_key, sign_in
from tests.web.questionnaire_helpers import (
    ABOUT,
    MOOD,
    SAFETY,
    location,
    post,
    start,
    to_concerns,
)

API = "/api/v1/intakes"
COORDINATOR = "coordinator@demo.wayfinder"


def _intake(app: Flask, reference: str) -> Intake:
    with app.app_context():
        intake = db.session.scalar(select(Intake).where(Intake.reference == reference))
        assert intake is not None
        db.session.expunge(intake)
        return intake


def _held(intake: Intake) -> bool:
    return "volume" in (intake.decision or {}).get("flags", [])


def _kinds(app: Flask, intake_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(select(Notification.kind).where(Notification.intake_id == intake_id))
        )


def test_api_client_beyond_its_hourly_cap_waits_for_a_coordinator(make_app: Any) -> None:
    app = make_app(AUTO_ASSIGN_PER_SOURCE_PER_HOUR=2)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    partner, other = api_client(app, "partner"), api_client(app, "other")
    first = [partner.post(API, json=factories.payload()) for _ in range(2)]
    assert [r.status_code for r in first] == [201, 201]
    assert all(_intake(app, r.json["reference"]).status == "assigned" for r in first)
    third = partner.post(API, json=factories.payload())
    assert third.status_code == 201 and third.json["crisis_help_shown"] is False
    held = _intake(app, third.json["reference"])
    assert held.status == "submitted" and _held(held)
    assert held.source_key and held.source_key.startswith("client:")
    # Crisis beyond the cap: saved, crisis help shown, alerts sent (never capped), not assigned.
    crisis = partner.post(API, json=factories.payload(safe_now="no"))
    assert crisis.status_code == 201 and crisis.json["crisis_help_shown"] is True
    crisis_intake = _intake(app, crisis.json["reference"])
    assert _held(crisis_intake) and crisis_intake.status == "submitted"
    assert "crisis_alert" in _kinds(app, crisis_intake.id)
    # Another client has a count of its own.
    theirs = other.post(API, json=factories.payload())
    assert _intake(app, theirs.json["reference"]).status == "assigned"
    # The coordinator sees the flag on the intake's page.
    staff = app.test_client()
    sign_in(staff, COORDINATOR)
    page = staff.get(f"/staff/intakes/{held.id}")
    assert page.status_code == 200 and "volume" in page.text
    # An hour later the client may be assigned automatically again.
    with app.app_context():
        db.session.execute(
            update(Intake).values(submitted_at=utcnow() - timedelta(hours=1, minutes=1))
        )
        db.session.commit()
    later = partner.post(API, json=factories.payload())
    assert _intake(app, later.json["reference"]).status == "assigned"


def test_an_admin_may_raise_the_cap_for_one_trusted_client(make_app: Any) -> None:
    app = make_app(AUTO_ASSIGN_PER_SOURCE_PER_HOUR=1)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    trusted, plain = api_client(app, "hospital"), api_client(app, "website")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["api-clients", "set-cap", "hospital", "3"]).exit_code == 0
    statuses = [
        _intake(app, trusted.post(API, json=factories.payload()).json["reference"]).status
        for _ in range(4)
    ]
    assert statuses == ["assigned"] * 3 + ["submitted"]
    assert runner.invoke(args=["api-clients", "set-cap", "hospital", "0"]).exit_code == 0
    unlimited = trusted.post(API, json=factories.payload())
    assert _intake(app, unlimited.json["reference"]).status == "assigned"  # 0: no cap
    plain_statuses = [
        _intake(app, plain.post(API, json=factories.payload()).json["reference"]).status
        for _ in range(2)
    ]
    assert plain_statuses == ["assigned", "submitted"]  # the default still holds for others


def test_public_form_is_capped_per_client_address_never_storing_it(make_app: Any) -> None:
    app = make_app(AUTO_ASSIGN_PER_SOURCE_PER_HOUR=2)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    browser = app.test_client()
    here, there = {"REMOTE_ADDR": "203.0.113.7"}, {"REMOTE_ADDR": "198.51.100.9"}
    for _ in range(3):
        response = browser.post("/", data=factories.form_data(), environ_base=here)
        assert response.status_code == 303
    elsewhere = browser.post("/", data=factories.form_data(), environ_base=there)
    assert elsewhere.status_code == 303
    with app.app_context():
        rows = list(db.session.scalars(select(Intake).order_by(Intake.id)))
        statuses = [(i.status, _held(i)) for i in rows]
        keys = {i.source_key for i in rows}
    assert statuses == [
        ("assigned", False),
        ("assigned", False),
        ("submitted", True),
        ("assigned", False),
    ]
    assert len(keys) == 2 and all(k and k.startswith("addr:") for k in keys)
    assert not any("203.0.113" in str(k) or "198.51" in str(k) for k in keys)


def test_the_questionnaire_counts_against_the_address_too(make_app: Any) -> None:
    """A draft submitted from the same address as an earlier intake shares its count."""
    app = make_app(AUTO_ASSIGN_PER_SOURCE_PER_HOUR=1)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    browser = app.test_client()
    assert browser.post("/", data=factories.form_data()).status_code == 303
    location(to_concerns(browser))
    location(post(browser, "mood", MOOD))
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    location(post(browser, "review", consent, nav="submit"))
    with app.app_context():
        rows = list(db.session.scalars(select(Intake).order_by(Intake.id)))
    assert [(i.status, _held(i)) for i in rows] == [("assigned", False), ("submitted", True)]
    assert rows[0].source_key == rows[1].source_key


@pytest.mark.commits  # threads, each with its own connection and locks
def test_concurrent_posts_from_one_client_cannot_slip_under_the_cap(make_app: Any) -> None:
    app = make_app(AUTO_ASSIGN_PER_SOURCE_PER_HOUR=3)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    api_key(app)  # made once, before the threads share it

    def submit(_: int) -> int:
        return int(api_client(app).post(API, json=factories.payload()).status_code)

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(submit, range(12))) == [201] * 12
    with app.app_context():
        assigned = db.session.query(Intake).filter_by(status="assigned").count()
        held = [i for i in db.session.query(Intake) if _held(i)]
    assert assigned == 3 and len(held) == 9


# --- The coordinators' digest ---------------------------------------------------------------


def _digests(app: Flask) -> list[Notification]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Notification)
                .where(Notification.kind == "unassigned_digest")
                .order_by(Notification.id)
            )
        )
        db.session.expunge_all()
        return rows


def test_unassigned_intakes_reach_coordinators_as_one_digest_per_15_minutes(
    app: Flask, demo: Any
) -> None:
    nobody = factories.payload(state="WY")  # no demo clinician is licensed in Wyoming
    partner = api_client(app)
    refs = [partner.post(API, json=nobody).json["reference"] for _ in range(3)]
    with app.app_context():
        per_intake = db.session.query(Notification).filter_by(kind="queue_unassigned").count()
    assert per_intake == 0  # no email per intake any more
    now = utcnow()
    with app.app_context():
        first = send_unassigned_digests(now)
        coordinators = {n.recipient_user_id for n in _digests(app)}
    assert first == len(coordinators) >= 1
    digest = _digests(app)[0]
    assert [i["reference"] for i in digest.context["items"]] == refs  # oldest first
    assert digest.context["total"] == 3
    with app.app_context():
        row = db.session.get(Notification, digest.id)
        message = compose(row)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
    for ref in refs:
        assert ref in text and ref in html
    assert "waiting" in text
    for health in ("depression", "virtual", "WY", "routine", "urgent", "soon", "queue:", "/"):
        assert health not in str(message["Subject"])
    for health in ("depression", "virtual", "routine", "Urgency", "Queue:", "PHQ"):
        assert health not in text, health
    # Within 15 minutes nothing more, even with news; after that, one more because of the news.
    partner.post(API, json=nobody)
    with app.app_context():
        assert send_unassigned_digests(now + timedelta(minutes=5)) == 0
        assert send_unassigned_digests(now + EVERY + timedelta(seconds=1)) == first
        assert _digests(app)[-1].context["total"] == 4
        # No news: no digest, however long the intakes wait.
        assert send_unassigned_digests(now + 3 * EVERY) == 0


def test_a_duplicated_digest_run_writes_nothing_twice(app: Flask, demo: Any) -> None:
    api_client(app).post(API, json=factories.payload(state="WY"))
    now = utcnow()
    with app.app_context():
        first = send_unassigned_digests(now)
        assert first >= 1 and send_unassigned_digests(now) == 0


# --- Patient emails, per recipient ----------------------------------------------------------


def test_resume_links_are_limited_per_recipient_across_drafts(make_app: Any) -> None:
    app = make_app(EMAILS_PER_RECIPIENT_PER_HOUR=3)
    browsers = [app.test_client() for _ in range(2)]
    for browser in browsers:  # two drafts, one address (anyone may type anyone's)
        location(start(browser, email="Victim@Example.org"))
    sent = [
        post(browsers[i % 2], "safety", SAFETY, nav="later").text for i in range(4)
    ]  # each draft is under its own limit of 5
    assert ["emailed you a link" in page for page in sent] == [True, True, True, False]
    assert "haven't sent another one" in sent[3]
    assert "tel:988" in sent[3]  # crisis help still on the page
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).filter_by(kind="resume_link")))
        assert len(rows) == 3 and len({r.recipient_key for r in rows}) == 1
        assert all("example.org" not in (r.recipient_key or "").lower() for r in rows)
        assert "victim" not in str([r.recipient_key for r in rows]).lower()
    # Another address is not affected.
    third = app.test_client()
    location(start(third, email="someone.else@example.org"))
    assert "emailed you a link" in post(third, "safety", SAFETY, nav="later").text


def test_confirmations_count_against_the_recipient_too(make_app: Any) -> None:
    app = make_app(EMAILS_PER_RECIPIENT_PER_HOUR=2)
    with app.app_context():
        from intake.cli import seed_demo

        seed_demo()
    partner = api_client(app)
    body = factories.payload(contact={"email": "canary@example.org"})
    for _ in range(3):
        assert partner.post(API, json=body).status_code == 201  # the intake always stands
    with app.app_context():
        confirmations = db.session.query(Notification).filter_by(kind="patient_confirmation")
        assert confirmations.count() == 2
        assert db.session.query(Intake).count() == 3
    # And a resume link to that address is refused too, with the limit reached.
    browser = app.test_client()
    location(start(browser, email=ABOUT["email"]))
    assert "haven't sent another one" in post(browser, "safety", SAFETY, nav="later").text
    with app.app_context():
        assert drafts.RESUME_LINKS_PER_HOUR > 2  # it was the recipient's limit, not the draft's
