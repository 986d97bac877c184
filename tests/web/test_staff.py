"""Sign-in, roles, the dashboard order, the detail page, and a clinician's own list only."""

from __future__ import annotations

from typing import Any

import pytest

from intake.cli import DEMO_PASSWORD
from intake.extensions import db
from intake.models import AuditEvent, Intake
from tests import factories


def sign_in(client: Any, email: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post("/auth/login", data={"email": email, "password": password})


@pytest.mark.parametrize("path", ["/staff/", "/staff/rules", "/staff/intakes/1", "/clinician/"])
def test_anonymous_is_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_is_refused(client: Any, demo: Any) -> None:
    response = sign_in(client, "coordinator@demo.wayfinder", "wrong-password-123")
    assert response.status_code == 200 and "match an active account" in response.text
    assert client.get("/staff/").status_code == 302


def test_dashboard_lists_crisis_first_then_urgency_then_oldest(
    app: Any, client: Any, demo: Any
) -> None:
    submit = app.test_client()
    submit.post("/", data=factories.form_data())  # routine
    submit.post("/", data=factories.form_data(phq9_9="1"))  # urgent
    submit.post("/", data=factories.form_data(safe_now="no"))  # crisis
    assert sign_in(client, "coordinator@demo.wayfinder").status_code == 302
    page = client.get("/staff/")
    assert page.status_code == 200
    with app.app_context():
        refs = {i.urgency: i.reference for i in db.session.query(Intake)}
    positions = [page.text.index(refs[u]) for u in ("crisis", "urgent", "routine")]
    assert positions == sorted(positions)


def test_detail_shows_scores_and_reasons_and_is_audited(app: Any, client: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data(phq9_9="1"))
    sign_in(client, "coordinator@demo.wayfinder")
    with app.app_context():
        intake = db.session.query(Intake).one()
    page = client.get(f"/staff/intakes/{intake.id}")
    assert page.status_code == 200
    assert "U2" in page.text and "PHQ-9" in page.text
    assert factories.FREE_TEXT in page.text
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="intake.viewed").count() == 1


def test_rules_page_lists_rules_with_version(app: Any, client: Any, demo: Any) -> None:
    sign_in(client, "coordinator@demo.wayfinder")
    page = client.get("/staff/rules")
    assert page.status_code == 200 and "C1" in page.text and "M5" in page.text


def test_clinician_sees_only_own_assignments(app: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake = db.session.query(Intake).one()
        owner = intake.current_assignment.clinician.user.email
        other = next(
            e for e in ("ana.rivera@demo.wayfinder", "mei.chen@demo.wayfinder") if e != owner
        )
    mine, theirs = app.test_client(), app.test_client()
    sign_in(mine, owner)
    sign_in(theirs, other)
    assert intake.reference in mine.get("/clinician/").text
    assert mine.get(f"/clinician/intakes/{intake.id}").status_code == 200
    assert intake.reference not in theirs.get("/clinician/").text
    assert theirs.get(f"/clinician/intakes/{intake.id}").status_code == 404
    assert theirs.get("/staff/").status_code == 404


def test_logout_invalidates_a_copied_session_cookie(app: Any, client: Any, demo: Any) -> None:
    sign_in(client, "coordinator@demo.wayfinder")
    copied = client.get_cookie("session").value
    client.post("/auth/logout")
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/staff/").status_code == 302


def test_a_crisis_answer_in_an_unsubmitted_draft_is_on_top_of_the_dashboard(
    app: Any, client: Any, demo: Any
) -> None:
    from tests.web.questionnaire_helpers import SAFETY, post, start

    app.test_client().post("/", data=factories.form_data(phq9_9="1"))  # a submitted urgent one
    patient = app.test_client()
    start(patient)
    post(patient, "safety", {**SAFETY, "safe_now": "no"})  # crisis, then the page is closed
    sign_in(client, "coordinator@demo.wayfinder")
    with app.app_context():
        crisis_draft = db.session.query(Intake).filter_by(status="draft").one()
        urgent = db.session.query(Intake).filter_by(urgency="urgent").one()
    page = client.get("/staff/").text
    assert page.index(crisis_draft.reference) < page.index(urgent.reference)
    detail = client.get(f"/staff/intakes/{crisis_draft.id}")
    assert detail.status_code == 200 and "was not submitted" in detail.text


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "https://evil.example/"])
def test_sign_in_never_redirects_off_site(client: Any, demo: Any, target: str) -> None:
    response = client.post(
        "/auth/login",
        query_string={"next": target},
        data={"email": "coordinator@demo.wayfinder", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"
