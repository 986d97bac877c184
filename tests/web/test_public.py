"""Public pages: the 988/911 footer everywhere, and the whole form sent in one post (the path
scripts and the staff tests use): submits once, keeps answers on errors."""

from __future__ import annotations

from typing import Any

import pytest

from intake.extensions import db
from intake.models import Intake, Notification
from tests import factories
from tests.support import api_client


def count(app: Any, model: Any) -> int:
    with app.app_context():
        return db.session.query(model).count()


def test_form_pages_show_crisis_lines_and_published_items(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'href="tel:988"' in page.text and 'href="tel:911"' in page.text
    client.post("/step/about", data={**factories.CONTACT, "state": "NY"})
    safety = client.get("/step/safety").text
    assert "In the past few weeks, have you wished you were dead?" in safety
    assert "Over the last 2 weeks" in client.get("/step/mood").text


def test_every_public_page_has_the_988_911_footer(client: Any) -> None:
    client.post("/step/about", data={**factories.CONTACT, "state": "NY"})
    paths = ["/", "/crisis", "/auth/login", "/no-such-page", "/resume/bad-token"]
    paths += [f"/step/{name}" for name in ("safety", "concerns", "mood", "review")]
    for path in paths:
        text = client.get(path).text
        assert "tel:988" in text and "tel:911" in text, path


def test_submit_stores_decision_assigns_and_writes_outbox(app: Any, client: Any, demo: Any) -> None:
    response = client.post("/", data=factories.form_data(email="canary@example.org"))
    assert response.status_code == 303
    done = client.get(response.headers["Location"])
    assert done.status_code == 200
    with app.app_context():
        intake = db.session.query(Intake).one()
        assert intake.reference in done.text
        assert intake.urgency == "routine" and intake.service_line == "depression"
        assert intake.decision["ruleset_version"] == intake.ruleset_version
        assert intake.answers["age"] >= 30 and "date_of_birth" not in intake.answers
        assert intake.current_assignment is not None
        kinds = sorted(n.kind for n in db.session.query(Notification))
        assert kinds == ["assignment", "patient_confirmation"]
    for word in ("moderate", "PHQ", "depression"):  # no score or diagnosis for the patient
        assert word not in done.text


def test_double_submit_with_one_token_creates_one_intake(app: Any, client: Any, demo: Any) -> None:
    data = factories.form_data(submission_token="a" * 32)
    first = client.post("/", data=data)
    second = client.post("/", data=data)
    assert first.status_code == second.status_code == 303
    assert count(app, Intake) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"first_name": ""}, "first name"),
        ({"first_name": "x" * 10_000}, "first name"),
        ({"last_name": "Bad\x00name"}, "last name"),
        ({"date_of_birth": "2999-01-01"}, "future"),
        ({"date_of_birth": "not a date"}, "date of birth"),
        ({"phone": "call me"}, "phone"),
        ({"state": "ZZ"}, "state"),
        ({"asq_1": None}, "needs an answer"),
        ({"phq9_3": "7"}, "Please choose"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    app: Any, client: Any, demo: Any, change: dict[str, Any], field: str
) -> None:
    data = factories.form_data()
    for key, value in change.items():
        if value is None:
            data.pop(key)
        else:
            data[key] = value
    response = client.post("/", data=data)
    assert response.status_code == 422
    assert field.lower() in response.text.lower()
    kept = "first_name" if "last_name" in change else "last_name"  # another answer, unchanged
    assert f'value="{factories.CONTACT[kept]}"' in response.text, kept
    assert count(app, Intake) == 0
    assert count(app, Notification) == 0


def test_crisis_submission_shows_crisis_help_and_alerts_on_call(
    app: Any, client: Any, demo: Any
) -> None:
    response = client.post("/", data=factories.form_data(asq_1="yes", asq_5="yes"))
    assert response.status_code == 303
    done = client.get(response.headers["Location"])
    main = done.text.split("<main", 1)[1].split("<footer", 1)[0]  # not the site-wide lines
    assert "tel:988" in main and "741741" in main and "not monitored around the clock" in done.text
    with app.app_context():
        intake = db.session.query(Intake).one()
        assert intake.urgency == "crisis" and intake.crisis_at is not None
        alerts = db.session.query(Notification).filter_by(kind="crisis_alert").count()
        assert alerts >= 3  # on-call clinician, backup and the coordinator(s)


def test_the_whole_form_in_one_post_needs_consent_too(app: Any, client: Any, demo: Any) -> None:
    data = factories.form_data()
    data.pop("consent_privacy")
    response = client.post("/", data=data)
    assert response.status_code == 422 and "tick both boxes" in response.text
    assert count(app, Intake) == 0


def test_no_phi_in_the_app_log(app: Any, client: Any, demo: Any, caplog: Any) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    client.post("/", data=factories.form_data(email="canary@example.org"))
    api_client(app).post("/api/v1/intakes", json=factories.payload(phq9_3=9))  # a 422 (fields)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "submitted" in logged  # the app's own log lines were captured
    for canary in ("Canary", "Zebrafinch", "555 0142", "canary@example.org", "canary-free-text"):
        assert canary not in logged, canary


def test_the_form_offers_exactly_the_contract_vocabulary() -> None:
    from intake import validation
    from intake.public import wording
    from intake.triage import vocabulary

    assert {code for code, _ in wording.STATES} == vocabulary.STATES
    assert {key for key, _ in wording.CONCERNS} == set(vocabulary.CONCERNS)
    assert tuple(key for key, _ in wording.AVAILABILITY) == validation.AVAILABILITY


# --- Resume links: used once, the date of birth before anything -----------------------------


def _resume_path(app: Any) -> str:
    from intake.services import drafts

    with app.app_context():
        url = drafts.resume_url(db.session.query(Intake).one())
    return url.removeprefix(app.config["BASE_URL"].rstrip("/"))


def _actions(app: Any) -> list[str]:
    from intake.models import AuditEvent

    with app.app_context():
        rows = db.session.query(AuditEvent).order_by(AuditEvent.id)
        return [r.action for r in rows if r.action.startswith("draft.resume")]


def test_a_resume_link_is_burnt_and_asks_the_date_of_birth_first(
    app: Any, client: Any, caplog: Any
) -> None:
    import logging

    from tests.web.questionnaire_helpers import location, post, to_concerns

    caplog.set_level(logging.DEBUG)
    to_concerns(client)
    post(client, "mood", {"phq9_1": "3"}, nav="later")
    path = _resume_path(app)
    token = path.rsplit("/", 1)[1]
    other = app.test_client()  # a new browser
    assert location(other.get(path)).endswith("/resume")  # no token in the next URL
    check = other.get("/resume")
    assert check.status_code == 200 and "date of birth" in check.text
    assert "tel:988" in check.text and "tel:911" in check.text
    for secret in ("Canary", "Zebrafinch", "canary-free-text", "Depression"):
        assert secret not in check.text, secret
    assert location_of(other.get("/step/mood")).endswith("/")  # nothing shown before the check
    assert "Canary" not in other.get("/", follow_redirects=True).text
    # A wrong date: a clear error, nothing shown; then the right one opens the draft.
    wrong = other.post("/resume", data={"date_of_birth": "1991-04-02"})
    assert wrong.status_code == 422 and "doesn't match" in wrong.text and "Canary" not in wrong.text
    target = location(other.post("/resume", data={"date_of_birth": "1990-04-02"}))
    assert target.endswith("/step/experiences")  # the first step still to do
    assert "Welcome back" in other.get(target).text
    assert 'value="3"\n        checked' in other.get("/step/mood").text
    # The link is burnt: opened again (here or anywhere) it offers a new one, kindly.
    again = app.test_client().get(path)
    assert again.status_code == 410 and "Email me a new link" in again.text
    assert "tel:988" in again.text and "tel:911" in again.text
    assert _actions(app) == [
        "draft.resume_link",
        "draft.resume_opened",
        "draft.resume_failed",
        "draft.resume_verified",
        "draft.resume_refused",
    ]
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "werkzeug")
    assert token not in logged


def test_too_many_wrong_dates_end_the_session_and_a_new_link_can_be_asked(
    app: Any, client: Any
) -> None:
    from intake.models import AuditEvent
    from intake.services import drafts
    from tests.web.questionnaire_helpers import location, post, start

    location(start(client))
    post(client, "safety", {"asq_1": "no"}, nav="later")
    other = app.test_client()
    location(other.get(_resume_path(app)))
    for i in range(drafts.RESUME_TRIES - 1):
        page = other.post("/resume", data={"date_of_birth": f"2000-01-0{i + 1}"})
        assert page.status_code == 422, i
    locked = other.post("/resume", data={"date_of_birth": "2001-01-01"})
    assert locked.status_code == 403 and "We closed this link" in locked.text
    # The session ended: even the right date no longer opens anything.
    assert location_of(other.post("/resume", data={"date_of_birth": "1990-04-02"})).endswith("/")
    assert location_of(other.get("/step/safety")).endswith("/")
    sent = other.post("/resume/new-link")
    assert sent.status_code == 200 and "emailed a new link" in sent.text
    assert "canary@example.org" not in sent.text  # the address is never shown
    with app.app_context():
        links = db.session.query(Notification).filter_by(kind="resume_link").count()
        assert links == 2
        details = [e.detail for e in db.session.query(AuditEvent)]
        assert "1990" not in str(details) and "2001" not in str(details)
    assert _actions(app).count("draft.resume_locked") == 1
    # The new link works (once more, with the date of birth).
    third = app.test_client()
    location(third.get(_resume_path(app)))
    assert location(third.post("/resume", data={"date_of_birth": "1990-04-02"}))


def test_a_resume_link_opened_in_the_same_browser_goes_straight_on(app: Any, client: Any) -> None:
    from tests.web.questionnaire_helpers import location, post, start

    location(start(client))
    post(client, "safety", {"asq_1": "no"}, nav="later")
    assert location(client.get(_resume_path(app))).endswith("/step/concerns")


def test_garbage_and_sent_forms_links_never_offer_a_new_one(app: Any, client: Any) -> None:
    for path in ("/resume/bad-token", "/resume/" + "x" * 600):
        page = client.get(path)
        assert page.status_code == 410 and "Email me a new link" not in page.text
    assert location_of(client.post("/resume/new-link")).endswith("/")
    assert location_of(client.post("/resume", data={"date_of_birth": "1990-04-02"})).endswith("/")


def location_of(response: Any) -> str:
    assert response.status_code in (302, 303), response.status_code
    return str(response.headers["Location"])


# --- Emails to the patient in the language of the intake -------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_patient_emails_are_in_the_language_of_the_intake(
    app: Any, client: Any, demo: Any, language: str
) -> None:
    from intake.notifications import compose
    from tests.web.test_language import ensure_catalog

    ensure_catalog()
    client.get(f"/?lang={language}")
    response = client.post(
        "/", data=factories.form_data(email="canary@example.org", free_text=factories.FREE_TEXT)
    )
    assert response.status_code == 303
    from tests.web.questionnaire_helpers import post, start

    other = app.test_client()
    other.get(f"/?lang={language}")
    start(other)
    post(other, "safety", {"asq_1": "no"}, nav="later")
    with app.app_context():
        rows = db.session.query(Notification).filter(
            Notification.kind.in_(("patient_confirmation", "resume_link"))
        )
        emails = {row.kind: compose(row) for row in rows}
    assert set(emails) == {"patient_confirmation", "resume_link"}
    words = {
        "en": {
            "patient_confirmation": ("We received your request", "Thank you. We received"),
            "resume_link": ("Your link to continue", "ask for your date of birth"),
        },
        "es": {
            "patient_confirmation": ("Recibimos su solicitud", "Gracias. Recibimos"),
            "resume_link": ("Su enlace para continuar", "fecha de nacimiento"),
        },
    }[language]
    for kind, email in emails.items():
        subject_words, body_words = words[kind]
        text = email.get_body(("plain",)).get_content()
        html = email.get_body(("html",)).get_content()
        assert subject_words in str(email["Subject"]), (kind, email["Subject"])
        assert body_words in text and body_words in html, (kind, text)
        assert "988" in text and "911" in text
        assert (email["Content-Language"] == "es") is (language == "es")
        for secret in ("Canary", "Zebrafinch", "1990", "212 555", "canary-free-text", "PHQ"):
            assert secret not in text and secret not in html, (kind, secret)
            assert secret not in str(email["Subject"]), (kind, secret)
        if language == "en":
            assert "Gracias" not in text and "enlace" not in text


def test_every_patient_email_subject_has_spanish() -> None:
    from intake.models import NotificationKind
    from intake.notifications.messages import SUBJECTS
    from intake.public.spanish import SPANISH

    for kind in (NotificationKind.PATIENT_CONFIRMATION, NotificationKind.RESUME_LINK):
        assert SUBJECTS[kind] in SPANISH, kind


# --- Clinics: only those in the person's state -----------------------------------------------


def test_only_clinics_in_the_persons_state_are_offered(app: Any, client: Any, demo: Any) -> None:
    from tests.web.questionnaire_helpers import location, post, start

    location(start(client, state="CA"))
    page = client.get("/step/preferences").text
    assert "Los Angeles - Westside" in page and "New York - Midtown" not in page
    assert "By video" in page  # and video visits, anywhere
    refused = post(client, "preferences", {"location": "nyc-midtown"})
    assert refused.status_code == 422 and "That clinic is in another state" in refused.text
    with app.app_context():
        assert "location" not in db.session.query(Intake).one().answers
    location(post(client, "preferences", {"location": "la-westside"}))
    with app.app_context():
        assert db.session.query(Intake).one().answers["location"] == "la-westside"
    # Moving to another state drops the clinic chosen in the old one.
    location(post(client, "about", {**factories.CONTACT, "state": "NY"}))
    with app.app_context():
        assert "location" not in db.session.query(Intake).one().answers


def test_no_clinic_in_the_state_or_no_state_yet_is_said_plainly(client: Any, demo: Any) -> None:
    from tests.web.questionnaire_helpers import location, start

    location(start(client, state="WA"))
    page = client.get("/step/preferences").text
    assert "We have no clinic in Washington yet" in page and 'name="location"' not in page


def test_without_a_state_no_clinic_is_listed(app: Any, demo: Any) -> None:
    from intake.public import wording

    with app.test_request_context("/step/preferences"):
        shown = wording.form_context("preferences", None)
        assert shown["locations"] == [] and shown["visit_state"] is None
        assert [c for c, _ in wording.form_context("preferences", "NY")["locations"]] == [
            "nyc-midtown"
        ]


def test_the_one_post_form_refuses_a_clinic_in_another_state(
    app: Any, client: Any, demo: Any
) -> None:
    response = client.post("/", data=factories.form_data(location="la-westside"))
    assert response.status_code == 422 and "That clinic is in another state" in response.text
    assert count(app, Intake) == 0
