"""Issue: no crisis answer is ever lost or lowered (clinical-rules.md 3 and 6).

A crisis answer is saved and alerts even on a page with other errors; an intake that ever held
one is submitted as crisis; crisis words act when the step is saved; the crisis screen shows
once per episode and carries no unrelated notice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from intake.extensions import db
from intake.models import Intake, Notification, utcnow
from intake.services.deadlines import check_deadlines
from tests.support import sign_in
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

CONSENT = {"consent_contact": "yes", "consent_privacy": "yes"}
HEALTH = {k: "no" for k in ("harm_others", "self_injury", "mania_now", "psychosis", "perinatal")}


def kinds(app: Any, kind: str) -> int:
    with app.app_context():
        return db.session.query(Notification).filter_by(kind=kind).count()


def main_of(page: str) -> str:
    """The page's own content: not the header's or footer's help lines."""
    return page.split("<main", 1)[1].split("<footer", 1)[0]


@pytest.mark.parametrize(
    ("page", "crisis", "invalid"),
    [
        ("safety", {"safe_now": "no"}, {"asq_1": "no", "asq_2": "no"}),  # asq_3, asq_4 blank
        ("safety", {"asq_1": "yes", "asq_5": "yes"}, {"safe_now": "perhaps"}),
        ("health", {"harm_others": "yes", "harm_others_intent": "yes"}, {"psychosis": "maybe"}),
    ],
)
def test_a_crisis_answer_on_a_page_with_errors_is_saved_and_alerts_at_once(
    app: Any, client: Any, demo: Any, page: str, crisis: dict[str, str], invalid: dict[str, str]
) -> None:
    """Before: 422 and nothing saved (no crisis_at, no alert, no crisis help)."""
    to_concerns(client)
    response = post(client, page, {**crisis, **invalid})
    assert response.status_code == 422
    body = main_of(response.text)
    assert "tel:988" in body and "741741" in body and "not monitored around the clock" in body
    assert body.index("tel:988") < body.index('class="errors') if 'class="errors' in body else True
    assert "error" in body.lower()  # the page's own errors are still shown, beside the help
    saved = draft(app)
    assert saved.crisis_at is not None and saved.urgency == "crisis"
    for key, value in crisis.items():
        assert saved.answers[key] == value
    for key, value in invalid.items():  # valid answers are kept; invalid ones are not taken
        assert (
            saved.answers.get(key) == value
            if value in ("yes", "no")
            else key not in saved.answers or saved.answers[key] != value
        )
    assert kinds(app, "crisis_alert") >= 3
    assert [r["rule"] for r in saved.crisis_answers]


def test_an_invalid_page_without_a_crisis_answer_still_changes_nothing(
    app: Any, client: Any, demo: Any
) -> None:
    to_concerns(client)
    before = draft(app).answers
    response = post(client, "safety", {"asq_1": "no", "safe_now": "yes"})
    assert response.status_code == 422 and "tel:988" not in main_of(response.text)
    assert draft(app).answers == before and kinds(app, "crisis_alert") == 0


def submit(client: Any) -> Any:
    return location(post(client, "review", CONSENT, nav="submit"))


def test_a_changed_crisis_answer_never_lowers_the_urgency(app: Any, client: Any, demo: Any) -> None:
    """Before: safe_now no -> yes gave a routine intake; the reasons said nothing."""
    start(client)
    location(post(client, "safety", {**SAFETY, "safe_now": "no"}))
    location(post(client, "safety", {**SAFETY, "safe_now": "yes"}))  # changed their answer
    location(post(client, "concerns", {"concerns": ["anxiety"]}))
    location(post(client, "mood", MOOD))
    submit(client)
    intake = draft(app)
    assert intake.status != "draft"
    assert intake.answers["safe_now"] == "yes"  # what they said last is what is stored
    assert intake.urgency == "crisis" and intake.modality == "emergency"
    rules = [r["rule"] for r in intake.decision["reasons"]]
    assert "C4" in rules  # the answer that raised it
    held = next(r["text"] for r in intake.decision["reasons"] if r["rule"] == "CH")
    assert "safe_now was 'no', now 'yes'" in held and "override" in held


def test_crisis_words_show_help_when_the_step_is_saved(app: Any, client: Any, demo: Any) -> None:
    """Before: the free text was only read at submission; nothing showed, nothing was flagged."""
    location(start(client))
    location(post(client, "safety", SAFETY))
    text = "Lately I keep thinking everyone would be better off without me."
    target = location(post(client, "concerns", {"concerns": ["depression"], "free_text": text}))
    assert target.endswith("/crisis")
    assert "tel:988" in main_of(client.get("/crisis").text)
    saved = draft(app)
    assert saved.crisis_text_at is not None and saved.urgency == "urgent"
    assert saved.crisis_at is None  # urgent (U4), not a crisis: no crisis alert
    # Saved again with the same words: the help is not forced on them a second time.
    again = location(post(client, "concerns", {"concerns": ["depression"], "free_text": text}))
    assert not again.endswith("/crisis")


def test_crisis_words_on_a_page_with_errors_are_saved_and_show_help(
    app: Any, client: Any, demo: Any
) -> None:
    to_concerns(client)
    response = post(
        client, "concerns", {"concerns": ["bogus"], "free_text": "I took too many pills last week"}
    )
    assert response.status_code == 422 and "tel:988" in main_of(response.text)
    saved = draft(app)
    assert (
        saved.crisis_text_at is not None
        and saved.answers["free_text"] == "I took too many pills last week"
    )
    assert "concerns" not in saved.answers or "bogus" not in saved.answers["concerns"]


def test_an_abandoned_draft_with_crisis_words_alerts_the_coordinators_after_an_hour(
    app: Any, client: Any, demo: Any
) -> None:
    """Before: nobody heard of a form left after typing crisis words."""
    location(start(client))
    location(post(client, "safety", SAFETY))
    post(client, "concerns", {"concerns": ["other"], "free_text": "I want to end my life"})
    with app.app_context():
        check_deadlines(utcnow() + timedelta(minutes=59))
        assert kinds(app, "unfinished_safety") == 0
        check_deadlines(utcnow() + timedelta(minutes=61))
        first = kinds(app, "unfinished_safety")
        check_deadlines(utcnow() + timedelta(minutes=90))  # once only
    assert first >= 1 and kinds(app, "unfinished_safety") == first
    with app.app_context():
        from intake.notifications import compose

        row = db.session.query(Notification).filter_by(kind="unfinished_safety").first()
        email = compose(row)
        body = email.get_body(("plain",)).get_content()
        for secret in ("end my life", "Canary", ABOUT["email"], "phq", "PHQ"):
            assert secret not in body and secret not in str(email["Subject"])
        assert row.intake.reference in body
        intake_id = row.intake_id
    staff = app.test_client()
    sign_in(staff, "coordinator@demo.wayfinder")
    page = staff.get(f"/staff/intakes/{intake_id}")
    assert page.status_code == 200 and "end my life" in page.text  # staff read the words
    assert f"/staff/intakes/{intake_id}" in staff.get("/staff/").text


def test_a_submitted_draft_with_crisis_words_does_not_alert_as_unfinished(
    app: Any, client: Any, demo: Any
) -> None:
    location(start(client))
    location(post(client, "safety", SAFETY))
    post(client, "concerns", {"concerns": ["other"], "free_text": "I want to end it all"})
    location(post(client, "mood", MOOD))
    submit(client)
    intake = draft(app)
    assert intake.status != "draft" and intake.urgency == "urgent"
    assert "crisis_text" in intake.decision["flags"]
    with app.app_context():
        check_deadlines(utcnow() + timedelta(hours=2))
    assert kinds(app, "unfinished_safety") == 0


def test_the_crisis_screen_carries_no_unrelated_notice_and_shows_once_per_episode(
    app: Any, client: Any, demo: Any
) -> None:
    """Before: "we've added a follow-up question" showed on the crisis screen, and answering
    ASQ 5 after Continue showed the crisis screen a second time."""
    to_concerns(client)
    target = location(post(client, "safety", {**SAFETY, "asq_2": "yes", "safe_now": "no"}))
    assert target.endswith("/crisis")
    screen = client.get("/crisis").text
    assert "follow-up question" not in screen
    continue_to = screen.split('class="button primary" href="')[1].split('"')[0]
    assert continue_to.endswith("#q-asq_5")
    page = client.get(continue_to.split("#")[0]).text
    assert "follow-up question" in page  # the notice waited for the page it is about
    again = location(post(client, "safety", {**SAFETY, "asq_2": "yes", "asq_5": "yes"}))
    assert not again.endswith("/crisis")  # the same episode: no second crisis screen
    saved = draft(app)
    assert {r["rule"] for r in saved.crisis_answers} >= {"C1", "C4"}


def test_a_medical_emergency_after_a_crisis_is_shown(app: Any, client: Any, demo: Any) -> None:
    """A new kind of emergency (911 for the body) is shown even within one episode."""
    to_concerns(client, ("eating",))
    location(post(client, "safety", {**SAFETY, "safe_now": "no"}))
    target = location(post(client, "experiences", {"scoff_1": "yes", "ed_red_flags_today": "yes"}))
    assert target.endswith("/crisis")
    assert "medical emergency" in main_of(client.get("/crisis").text)


def test_the_crisis_cookie_holds_no_rule_codes(app: Any, client: Any, demo: Any) -> None:
    to_concerns(client)
    location(post(client, "safety", {**SAFETY, "safe_now": "no"}))
    with client.session_transaction() as state:
        assert "crisis_rules" not in state
        assert not any("C4" in str(v) for v in state.values())


def test_the_health_page_alert_then_the_mood_page_keeps_crisis(
    app: Any, client: Any, demo: Any
) -> None:
    """A crisis on one page is not undone by answers on another (a whole journey)."""
    to_concerns(client)
    location(post(client, "health", {**HEALTH, "harm_others": "yes", "harm_others_intent": "yes"}))
    location(post(client, "health", HEALTH))
    location(post(client, "mood", MOOD))
    submit(client)
    with app.app_context():
        intake = db.session.query(Intake).one()
        assert intake.urgency == "crisis"
        assert any(r["rule"] == "C5" for r in intake.decision["reasons"])


@pytest.mark.parametrize(
    ("overrides", "flag"),
    [
        ({"concerns": ["couples"], "partner_willing": "yes"}, "pvs_unknown"),
        ({"concerns": []}, None),  # a routed intake, for contrast
    ],
)
def test_couples_work_with_the_partner_violence_screen_unanswered_waits_for_a_coordinator(
    app: Any, demo: Any, overrides: dict[str, Any], flag: str | None
) -> None:
    """Before: a couples request with PVS unanswered went straight to a couples clinician."""
    from intake import services
    from tests import factories

    with app.app_context():
        intake = services.submit_intake(factories.CONTACT, factories.answers(**overrides)).intake
        flags = set(intake.decision["flags"])
        if flag:
            assert flag in flags and intake.current_assignment is None
        else:
            assert intake.current_assignment is not None
