"""Crisis screen for every trigger (C1-C6), resume links, and the draft purge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from intake.extensions import db
from intake.models import Intake, Notification, utcnow
from intake.services import drafts
from tests.web.questionnaire_helpers import (
    ABOUT,
    MOOD,
    SAFETY,
    draft,
    location,
    post,
    start,
    to_concerns,
)

HEALTH = {k: "no" for k in ("harm_others", "self_injury", "mania_now", "psychosis", "perinatal")}


def alerts(app: Any) -> int:
    with app.app_context():
        return db.session.query(Notification).filter_by(kind="crisis_alert").count()


@pytest.mark.parametrize(
    ("rule", "page", "data"),
    [
        ("C1", "safety", {**SAFETY, "asq_3": "yes", "asq_5": "yes"}),
        ("C2", "safety", {**SAFETY, "asq_2": "yes", "asq_5": "refused"}),
        ("C3", "safety", {**SAFETY, "asq_4": "yes", "asq_4_when": "past_3_months", "asq_5": "no"}),
        ("C4", "safety", {**SAFETY, "safe_now": "no"}),
        ("C5", "health", {**HEALTH, "harm_others": "yes", "harm_others_intent": "yes"}),
        ("C6", "experiences", {"scoff_1": "yes", "ed_red_flags_today": "yes"}),
    ],
)
def test_each_crisis_trigger_shows_the_crisis_screen_and_alerts_at_once(
    app: Any, client: Any, demo: Any, rule: str, page: str, data: dict[str, str]
) -> None:
    to_concerns(client, ("eating",))
    if "asq_5" in data:  # follow-ups first appear on the page itself, then are answered
        post(client, "safety", {k: v for k, v in data.items() if k not in ("asq_5", "asq_4_when")})
    if page == "health":
        post(client, "health", {**HEALTH, "harm_others": "yes"})
    assert alerts(app) == 0
    response = post(client, page, data)
    assert location(response).endswith("/crisis")
    screen = client.get("/crisis").text
    main = screen.split("<main", 1)[1].split("<footer", 1)[0]  # not the site-wide help lines
    for text in ("tel:988", "tel:911", "838255", "741741", "711", "not monitored around the clock"):
        assert text in main, text
    assert "Continue my form" in screen
    if rule == "C6":
        main = screen.split("<main", 1)[1]  # the page itself, not the header's help line
        assert main.index("medical emergency") < main.index("988")
    saved = draft(app)
    assert saved.status == "draft" and saved.crisis_at is not None
    assert saved.contact["phone"] == ABOUT["phone"]  # outreach possible if the page is closed
    assert alerts(app) >= 3  # on-call clinician, backup and coordinators, written at once
    for word in ("PHQ", "score", "ASQ", "positive"):
        assert word not in screen.split("<footer")[0]


def test_person_can_continue_after_the_crisis_screen_and_alerts_are_not_repeated(
    app: Any, client: Any, demo: Any
) -> None:
    start(client)
    location(post(client, "safety", {**SAFETY, "safe_now": "no"}))
    sent = alerts(app)
    continue_to = client.get("/crisis").text.split('class="button primary" href="')[1].split('"')[0]
    assert continue_to.endswith("/step/concerns")
    assert client.get(continue_to).status_code == 200
    location(post(client, "concerns", {"concerns": ["anxiety"]}))
    post(client, "mood", MOOD)
    assert alerts(app) == sent
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    done = client.get(location(post(client, "review", consent, nav="submit")))
    assert "741741" in done.text and draft(app).urgency == "crisis"
    assert alerts(app) == sent  # the submit does not alert a second time


def test_resume_link_round_trip(app: Any, client: Any) -> None:
    to_concerns(client)
    post(client, "mood", {"phq9_1": "3"}, nav="later")
    with app.app_context():
        row = db.session.query(Notification).filter_by(kind="resume_link").one()
        assert row.to_patient and row.dedupe_key.endswith(":1")
        intake = db.session.get(Intake, row.intake_id)
        url = drafts.resume_url(intake)
    assert url.startswith(app.config["BASE_URL"]) and "Canary" not in url and "@" not in url
    with app.app_context():
        from intake.notifications import compose

        row = db.session.get(Notification, row.id)
        email = compose(row)
        body = email.get_body(("plain",)).get_content()
        assert url in body and email["To"] == ABOUT["email"]
        for secret in ("Canary", "Zebrafinch", "1990", "212 555", "canary-free-text"):
            assert secret not in body and secret not in str(email["Subject"])
    path = url.removeprefix(app.config["BASE_URL"].rstrip("/"))
    other = app.test_client()  # a new browser: nothing in its session
    # The link is exchanged for a session and burnt; the date of birth comes before any answer.
    assert location(other.get(path)).endswith("/resume")
    target = location(other.post("/resume", data={"date_of_birth": ABOUT["date_of_birth"]}))
    assert target.endswith("/step/experiences")  # the first step still to do
    assert 'value="3"\n        checked' in other.get("/step/mood").text
    # A newer link revokes the older one.
    other.post("/save-for-later")
    assert other.get(path).status_code == 410


def test_resume_link_expires_after_7_days(app: Any, client: Any, monkeypatch: Any) -> None:
    start(client)
    with app.app_context():
        intake = db.session.query(Intake).one()
        import itsdangerous.timed

        old = int(utcnow().timestamp()) - int(timedelta(days=7, minutes=1).total_seconds())
        monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda s: old)
        token = drafts.resume_token(intake)
        monkeypatch.undo()
        assert drafts.from_resume_token(token) is None
        assert drafts.from_resume_token(drafts.resume_token(intake)) is not None
        assert drafts.from_resume_token("garbage") is None


def test_resume_link_stops_working_after_submit(app: Any, client: Any, demo: Any) -> None:
    to_concerns(client)
    post(client, "mood", MOOD)
    with app.app_context():
        path = drafts.resume_url(db.session.query(Intake).one()).split("5000", 1)[1]
    post(client, "review", {"consent_contact": "yes", "consent_privacy": "yes"}, nav="submit")
    assert app.test_client().get(path).status_code == 410


def test_no_email_means_no_link_and_says_so(app: Any, client: Any) -> None:
    start(client, email="")
    page = client.post("/save-for-later", follow_redirects=True)
    assert page.status_code == 200 and "don't have an email address" in page.text
    with app.app_context():
        assert db.session.query(Notification).count() == 0


def test_purge_deletes_stale_drafts_but_keeps_crisis_and_submitted(
    app: Any, client: Any, demo: Any
) -> None:
    with app.app_context():
        old = utcnow() - timedelta(days=31)
        stale = drafts.start_draft()
        crisis = drafts.start_draft()
        fresh = drafts.start_draft()
        db.session.commit()
        drafts.request_resume_link(stale)  # no email: nothing written
        stale.updated_at = crisis.updated_at = old
        crisis.crisis_at = old
        db.session.commit()
        stale_id = stale.id
        assert drafts.purge_stale_drafts(utcnow()) == 1
        assert db.session.get(Intake, stale_id) is None
        assert {i.id for i in db.session.query(Intake)} == {crisis.id, fresh.id}
        assert drafts.purge_stale_drafts(utcnow()) == 0


def resume_links(app: Any) -> int:
    with app.app_context():
        return db.session.query(Notification).filter_by(kind="resume_link").count()


def test_resume_link_emails_are_limited_per_hour_on_every_route(app: Any, client: Any) -> None:
    start(client)
    limit = drafts.RESUME_LINKS_PER_HOUR
    for i in range(limit):
        page = post(client, "safety", SAFETY, nav="later")
        assert page.status_code == 200 and "emailed you a link" in page.text, i
    assert resume_links(app) == limit
    with app.app_context():
        newest = drafts.resume_url(db.session.query(Intake).one())
    path = newest.removeprefix(app.config["BASE_URL"].rstrip("/"))
    for response in (
        post(client, "safety", SAFETY, nav="later"),
        client.post("/save-for-later", follow_redirects=True),
    ):
        assert response.status_code == 200
        assert "haven't sent another one" in response.text
        assert "emailed you a link" not in response.text
        assert "tel:988" in response.text and "tel:911" in response.text
    assert resume_links(app) == limit
    assert draft(app).answers["safe_now"] == "yes"  # the answers were still saved
    assert location(app.test_client().get(path))  # the newest link was not revoked
    # An hour later, a link can be sent again.
    with app.app_context():
        for row in db.session.query(Notification).filter_by(kind="resume_link"):
            row.created_at = utcnow() - timedelta(hours=1, minutes=1)
        db.session.commit()
    assert "emailed you a link" in post(client, "safety", SAFETY, nav="later").text
    assert resume_links(app) == limit + 1


def test_resume_link_limit_is_in_the_service(app: Any, client: Any) -> None:
    start(client)
    with app.app_context():
        intake = db.session.query(Intake).one()
        for _ in range(drafts.RESUME_LINKS_PER_HOUR):
            assert drafts.request_resume_link(intake) is not None
        token = intake.draft_token
        with pytest.raises(drafts.TooManyResumeLinks):
            drafts.request_resume_link(intake)
        assert intake.draft_token == token  # nothing sent, nothing revoked
