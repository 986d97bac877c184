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
