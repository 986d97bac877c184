"""Sign-in, roles, the dashboard order, the detail page, and a clinician's own list only."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from intake.cli import DEMO_PASSWORD
from intake.extensions import db
from intake.models import (
    Assignment,
    AssignmentStatus,
    AuditEvent,
    ClinicianProfile,
    Intake,
    Notification,
    NotificationStatus,
    Role,
    User,
)
from tests import factories
from tests.support import count_queries, sign_in


@pytest.mark.parametrize("path", ["/staff/", "/staff/rules", "/staff/intakes/1", "/clinician/"])
def test_anonymous_is_sent_to_sign_in(client: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_wrong_password_is_refused(client: Any, demo: Any) -> None:
    response = client.post(
        "/auth/login",
        data={"email": "coordinator@demo.wayfinder", "password": "wrong-password-123"},
    )
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
    assert theirs.get("/staff/").status_code == 403  # the workspace is not theirs


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


def test_an_unsent_crisis_draft_has_no_reassign_button(app: Any, client: Any, demo: Any) -> None:
    """services.reassign refuses a draft (404): the page must not offer the button."""
    from tests.web.questionnaire_helpers import SAFETY, post, start

    app.test_client().post("/", data=factories.form_data(phq9_9="1"))
    patient = app.test_client()
    start(patient)
    post(patient, "safety", {**SAFETY, "safe_now": "no"})
    sign_in(client, "coordinator@demo.wayfinder")
    with app.app_context():
        draft = db.session.query(Intake).filter_by(status="draft").one()
        submitted = db.session.query(Intake).filter(Intake.status != "draft").one()
    draft_page = client.get(f"/staff/intakes/{draft.id}")
    assert draft_page.status_code == 200 and "was not submitted" in draft_page.text
    assert f"/staff/intakes/{draft.id}/reassign" not in draft_page.text
    assert client.post(f"/staff/intakes/{draft.id}/reassign").status_code == 404
    submitted_page = client.get(f"/staff/intakes/{submitted.id}")
    assert f"/staff/intakes/{submitted.id}/reassign" in submitted_page.text


def _queries_for(app: Flask, client: Any, path: str) -> int:
    with count_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


def _user(role: str = Role.STAFF) -> User:
    tag = secrets.token_hex(4)
    user = User(
        email=f"u-{tag}@example.test", display_name=f"Person {tag}", password_hash="x", role=role
    )
    db.session.add(user)
    return user


def _grow_and_count(
    app: Flask, client: Any, path: str, add_rows: Callable[[int], None], sizes: tuple[int, ...]
) -> list[int]:
    counts = []
    for size in sizes:
        with app.app_context():
            add_rows(size)
            db.session.commit()
        counts.append(_queries_for(app, client, path))
    return counts


def test_outbox_queries_do_not_grow_with_dead_rows(app: Any, client: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake_id = db.session.query(Intake).one().id

    def add_dead(n: int) -> None:
        for _ in range(n):
            tag = secrets.token_hex(4)
            db.session.add(
                Notification(
                    kind="assignment",
                    dedupe_key=f"test:{tag}",
                    intake_id=intake_id,
                    recipient=_user(),  # a different recipient on every row
                    status=NotificationStatus.DEAD,
                    attempts=3,
                    last_error="550 no such mailbox",
                )
            )

    sign_in(client, "coordinator@demo.wayfinder")
    counts = _grow_and_count(app, client, "/staff/outbox", add_dead, (1, 4, 16))
    print(f"outbox page: {counts} queries with 1, 5 and 21 dead rows")
    assert counts[0] == counts[1] == counts[2]
    page = client.get("/staff/outbox").text
    for status in NotificationStatus:
        assert f'<th scope="col">{status.value}</th>' in page
    assert page.count('name="back" value="outbox"') >= 21 and "Person " in page
    dashboard = _queries_for(app, client, "/staff/")  # the same table, back to the dashboard
    assert 'name="back"' not in client.get("/staff/").text and dashboard > 0


def test_intake_detail_queries_do_not_grow_with_declines(app: Any, client: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake_id = db.session.query(Intake).one().id

    def add_declines(n: int) -> None:
        for _ in range(n):
            profile = ClinicianProfile(user=_user(Role.CLINICIAN))
            db.session.add(profile)
            db.session.add(
                Assignment(
                    intake_id=intake_id,
                    clinician=profile,
                    status=AssignmentStatus.DECLINED,
                    reason="test",
                    decline_reason="no openings",
                )
            )

    sign_in(client, "coordinator@demo.wayfinder")
    path = f"/staff/intakes/{intake_id}"
    counts = _grow_and_count(app, client, path, add_declines, (1, 4, 16))
    print(f"staff intake detail: {counts} queries with 1, 5 and 21 declines")
    assert counts[0] == counts[1] == counts[2]
    assert client.get(path).text.count("Declined by Person ") == 21


@pytest.mark.parametrize(
    "query",
    [
        {"clinician": "\u00b2"},
        {"after": "\u00b2|\u00b2|\u00b2"},
        {"clinician": "\u0661\u0662"},
    ],
)
def test_digits_that_are_not_0_to_9_are_a_clear_refusal_not_a_server_error(
    client: Any, demo: Any, query: dict[str, str]
) -> None:
    """`str.isdigit` takes "²" (and other digits `int` refuses): ids and cursors are 0-9 only."""
    sign_in(client, "coordinator@demo.wayfinder")
    response = client.get("/staff/intakes", query_string=query)
    assert response.status_code in (200, 400), response.status_code


def test_the_dashboard_shows_the_most_urgent_and_says_where_the_rest_is(
    app: Flask, client: Any, demo: Any
) -> None:
    """It used to stop at 200 rows without a word: now the most urgent 50, and a link to the
    list that pages through all open work."""
    from intake.services import submit_intake
    from intake.staff.views import DASHBOARD_ROWS

    with app.app_context():
        for n in range(DASHBOARD_ROWS + 1):
            submit_intake({**factories.CONTACT, "email": f"p{n}@example.org"}, factories.answers())
    sign_in(client, "coordinator@demo.wayfinder")
    page = client.get("/staff/").text
    assert page.count('href="/staff/intakes/') == DASHBOARD_ROWS
    assert f"The {DASHBOARD_ROWS} most urgent of the open work" in page


@pytest.mark.parametrize("path", ["/staff/intakes", "/admin/audit", "/staff/reports"])
@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "2026-13-01"}])
def test_a_day_filter_that_is_no_day_is_a_clear_refusal(
    client: Any, demo: Any, path: str, query: dict[str, str]
) -> None:
    """One reading of `from`/`to` for the list, the audit log and the reports: a bad date, or
    the last day there is (the day after it has no date), is a 400 naming the field."""
    sign_in(client, "admin@demo.wayfinder")
    response = client.get(path, query_string=query)
    assert response.status_code == 400, response.status_code
    name = next(iter(query))
    if path == "/staff/reports" and name == "to":  # a real day there: the range is too long
        assert "A report covers at most" in response.text
    else:
        assert f"{name} must be a date like 2026-11-30." in response.text
