"""The multi-step questionnaire: each step, each branch, Back/Next, validation, submit once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from intake import questionnaire, validation
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Notification
from intake.public import formdata
from intake.public.pages import BY_NAME, PAGES
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


def test_first_step_shows_progress_required_marks_and_crisis_footer(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Step 1 of 6" in page.text and "(required)" in page.text
    assert 'href="tel:988"' in page.text and 'href="tel:911"' in page.text


def test_contact_is_saved_before_the_safety_step(app: Any, client: Any) -> None:
    assert location(start(client)).endswith("/step/safety")
    saved = draft(app)
    assert saved.status == "draft" and saved.contact["phone"] == ABOUT["phone"]
    assert saved.answers == {"state": "NY"}
    page = client.get("/step/safety")
    assert "Step 2 of 6" in page.text
    assert "In the past few weeks, have you wished you were dead?" in page.text
    assert "Are you safe right now?" in page.text


def test_whole_walk_through_submits_one_intake(app: Any, client: Any, demo: Any) -> None:
    assert location(to_concerns(client)).endswith("/step/mood")
    mood = client.get("/step/mood")
    assert "Step 4 of 6" in mood.text and "part 1 of 4" in mood.text
    assert "Over the last 2 weeks" in mood.text
    assert location(post(client, "mood", MOOD)).endswith("/step/experiences")
    assert location(post(client, "experiences", {"pcptsd5_exposure": "no"})).endswith("/habits")
    habits = {"auditc_1": "0", "drug_times": "0"}
    assert location(post(client, "habits", habits)).endswith("/step/health")
    health = {k: "no" for k in ("harm_others", "self_injury", "mania_now", "psychosis")}
    assert location(post(client, "health", {**health, "perinatal": "no"})).endswith("/preferences")
    prefs = {"modality_preference": "virtual", "availability": ["weekday_evenings"]}
    assert location(post(client, "preferences", prefs)).endswith("/step/review")
    review = client.get("/step/review")
    assert "Step 6 of 6" in review.text
    assert (
        "Feeling down, depressed, or hopeless" in review.text and "Weekday evenings" in review.text
    )
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    done = client.get(location(post(client, "review", consent, nav="submit")))
    intake = draft(app)
    assert intake.status in ("submitted", "assigned") and intake.reference in done.text
    assert intake.contact["availability"] == ["weekday_evenings"] and intake.contact["consent"]
    assert intake.answers["auditc_1"] == 0 and "auditc_2" not in intake.answers
    assert "within 3 business days" in done.text and "by phone" in done.text
    for word in ("moderate", "PHQ", "depression", "score"):
        assert word not in done.text
    with app.app_context():
        kinds = {n.kind for n in db.session.query(Notification)}
    assert "patient_confirmation" in kinds


def test_submit_is_idempotent(app: Any, client: Any, demo: Any) -> None:
    to_concerns(client)
    post(client, "mood", MOOD)
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    first = post(client, "review", consent, nav="submit")
    second = post(client, "review", consent, nav="submit")
    assert location(first) == location(second)
    with app.app_context():
        assert db.session.query(Intake).count() == 1
        assert db.session.query(Notification).filter_by(kind="patient_confirmation").count() == 1


def test_review_needs_both_consents(app: Any, client: Any, demo: Any) -> None:
    to_concerns(client)
    post(client, "mood", MOOD)
    response = post(client, "review", {"consent_contact": "yes"}, nav="submit")
    assert response.status_code == 422 and "tick both boxes" in response.text
    assert draft(app).status == "draft"


def test_missing_required_item_from_an_earlier_step_is_sent_back_to_it(
    app: Any, client: Any, demo: Any
) -> None:
    to_concerns(client)  # the mood page (PHQ-9 item 9 is required) was never sent
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    response = post(client, "review", consent, nav="submit")
    # The review page always links every step; the error's own "To fix" link is what counts.
    assert response.status_code == 422
    assert 'To fix: <a href="/step/mood?from=review">' in response.text
    assert draft(app).status == "draft"


@pytest.mark.parametrize(
    ("concerns", "shown", "hidden"),
    [
        (("depression",), {"pcptsd5_exposure", "mdq_1"}, {"asrs_1", "oci4_1", "scoff_1"}),
        (("adhd",), {"asrs_1"}, {"mdq_1", "oci4_1"}),
        (("not_sure",), {"asrs_1", "pcptsd5_exposure"}, {"mdq_1"}),
        (("bipolar",), {"mdq_1", "mdq_problem"}, {"asrs_1"}),
        (("ocd",), {"oci4_1"}, {"mdq_1"}),
        (("anxiety",), {"oci4_4"}, {"asrs_1"}),
        (("eating",), {"scoff_1", "height_ft", "weight_lb", "ed_red_flags_today"}, {"asrs_1"}),
    ],
)
def test_concerns_choose_the_instruments(
    client: Any, concerns: tuple[str, ...], shown: set[str], hidden: set[str]
) -> None:
    to_concerns(client, concerns)
    page = client.get("/step/experiences").text
    for key in shown:
        assert f'name="{key}"' in page, key
    for key in hidden:
        assert f'name="{key}"' not in page, key


@pytest.mark.parametrize("concern", ["couples", "relationships"])
def test_couples_and_relationships_open_the_relationship_page(client: Any, concern: str) -> None:
    to_concerns(client, (concern,))
    post(client, "mood", MOOD)
    assert location(post(client, "experiences", {})).endswith("/step/relationship")
    page = client.get("/step/relationship").text
    for key in ("csi4_1", "ecrrs_9", "partner_willing", "pvs_3"):
        assert f'name="{key}"' in page


def test_no_relationship_page_without_that_concern(client: Any) -> None:
    to_concerns(client, ("anxiety",))
    post(client, "mood", MOOD)
    assert location(post(client, "experiences", {})).endswith("/step/habits")


def test_follow_up_questions_are_added_to_the_same_page(app: Any, client: Any) -> None:
    start(client)
    again = location(post(client, "safety", {**SAFETY, "asq_1": "yes", "asq_4": "yes"}))
    assert "/step/safety" in again
    page = client.get("/step/safety").text
    assert 'name="asq_5"' in page and 'name="asq_4_when"' in page
    assert "added a follow-up question" in page
    response = post(client, "safety", {**SAFETY, "asq_1": "yes", "asq_4": "yes"})
    assert response.status_code == 422 and "needs an answer" in response.text
    done = {**SAFETY, "asq_1": "yes", "asq_4": "yes", "asq_4_when": "longer_ago", "asq_5": "no"}
    assert location(post(client, "safety", done)).endswith("/step/concerns")
    assert draft(app).answers["asq_5"] == "no"
    # Changing the gate answer drops the follow-ups it no longer asks.
    location(post(client, "safety", SAFETY))
    assert "asq_5" not in draft(app).answers and "asq_4_when" not in draft(app).answers


def test_drug_question_opens_dast_and_withdrawal_items(app: Any, client: Any) -> None:
    to_concerns(client)
    assert "/step/habits" in location(post(client, "habits", {"auditc_1": "0", "drug_times": "2"}))
    page = client.get("/step/habits").text
    assert 'name="dast_1"' in page and 'name="withdrawal_risk"' in page
    answers = {"auditc_1": "0", "drug_times": "2", "dast_3": "no", "withdrawal_risk": "no"}
    assert location(post(client, "habits", answers)).endswith("/step/health")
    assert draft(app).answers["dast_3"] == "no"


def test_height_and_weight_are_converted_to_metric(app: Any, client: Any) -> None:
    to_concerns(client, ("eating",))
    data = {"height_ft": "5", "height_in": "6", "weight_lb": "100", "scoff_1": "yes"}
    location(post(client, "experiences", data))
    answers = draft(app).answers
    assert answers["height_cm"] == pytest.approx(167.64) and answers["weight_kg"] == 45.36
    page = client.get("/step/experiences").text
    assert 'value="5"' in page and 'value="6"' in page and 'value="100"' in page
    bad = post(client, "experiences", {"height_ft": "five", "weight_lb": "1e999"})
    assert bad.status_code == 422 and "feet and inches" in bad.text and "pounds" in bad.text
    assert draft(app).answers["height_cm"] == pytest.approx(167.64)


def test_back_keeps_answers_and_skips_required_checks(app: Any, client: Any) -> None:
    to_concerns(client)
    assert location(post(client, "mood", {"phq9_1": "3"}, nav="back")).endswith("/concerns")
    assert draft(app).answers["phq9_1"] == 3
    assert 'value="3"\n        checked' in client.get("/step/mood").text
    concerns = client.get("/step/concerns").text
    assert re.search(r'value="depression"\s+checked', concerns)  # one macro renders all options


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_name": ""}, "first name"),
        ({"first_name": "x" * 10_000}, "at most 100"),
        ({"last_name": "Bad\x00name"}, "characters we can't accept"),
        ({"date_of_birth": "2999-01-01"}, "future"),
        ({"date_of_birth": "not a date"}, "YYYY-MM-DD"),
        ({"phone": "call me"}, "phone"),
        ({"state": "ZZ"}, "choose a state from the list"),
        ({"state": ""}, "state you will be in"),
        ({"email": "nope"}, "email address like"),
        ({"sex": "robot"}, "Please choose"),
    ],
)
def test_bad_contact_input_is_explained_and_changes_nothing(
    app: Any, client: Any, change: dict[str, str], message: str
) -> None:
    location(start(client))
    before = draft(app)
    response = start(client, **change)
    assert response.status_code == 422
    assert message.lower() in response.text.replace("&#39;", "'").lower()
    assert 'role="alert"' in response.text and 'class="error"' in response.text
    assert 'value="Zebrafinch"' in response.text or "last_name" in change  # the rest is kept
    after = draft(app)
    assert (after.contact, after.answers) == (before.contact, before.answers)


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("safety", {**SAFETY, "asq_1": "maybe"}, "Please choose one of the answers shown"),
        ("safety", {k: v for k, v in SAFETY.items() if k != "safe_now"}, "needs an answer"),
        ("mood", {"phq9_1": "7", "phq9_9": "0"}, "Please choose"),
        ("mood", {"phq9_1": "1"}, "needs an answer"),
        ("concerns", {"concerns": ["aliens"]}, "choose from the list"),
        ("concerns", {"free_text": "x" * 4001}, "at most 4,000"),
        ("concerns", {"free_text": "hi\x07there"}, "can't accept"),
        ("habits", {"drug_times": "-3"}, "whole number"),
        ("habits", {"drug_times": "2.5"}, "whole number"),
        ("preferences", {"location": "nowhere"}, "clinic from the list"),
        ("preferences", {"availability": ["midnight"]}, "times from the list"),
        ("preferences", {"modality_preference": "teleport"}, "Please choose"),
        ("preferences", {"insurance_member_id": "x" * 51}, "member ID can be at most 50"),
        ("preferences", {"insurance_carrier": "Bad\x01Co"}, "can't accept"),
    ],
)
def test_bad_answers_are_explained_and_change_nothing(
    app: Any, client: Any, page: str, data: dict[str, Any], message: str
) -> None:
    to_concerns(client)
    before = dict(draft(app).answers)
    response = post(client, page, data)
    assert response.status_code == 422
    assert message.lower() in response.text.replace("&#39;", "'").lower()
    assert draft(app).answers == before


def test_supportive_panel_after_an_urgent_safety_answer(client: Any) -> None:
    start(client)
    location(post(client, "safety", {**SAFETY, "safe_now": "not_sure"}))
    page = client.get("/step/concerns").text
    panel = page.split('class="support"', 1)[1]  # header and footer have 988 on every page
    assert "Thank you for telling us" in panel and "tel:988" in panel
    assert "crisis" not in page.split("<footer")[0].lower()


def test_expired_session_keeps_the_page_and_asks_for_details_again(app: Any, client: Any) -> None:
    response = post(client, "mood", MOOD)
    assert location(response).endswith("/")
    assert draft(app).answers["phq9_1"] == 2  # what was typed is kept
    assert "session may have ended" in client.get("/").text


def test_csrf_failure_keeps_what_was_typed(make_app: Any) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/step/about", data={**ABOUT, "nav": "next"})
    assert response.status_code == 400
    assert 'value="Zebrafinch"' in response.text and "press the button again" in response.text
    assert 'name="csrf_token" value="' in response.text


def test_unknown_step_is_404_and_later_steps_need_contact_first(client: Any) -> None:
    assert client.get("/step/nope").status_code == 404
    assert client.get("/step/mood").headers["Location"].endswith("/")


def summary_links(page: str) -> list[str]:
    summary = page.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


@pytest.mark.parametrize(
    ("page", "data", "anchor"),
    [
        ("about", {**ABOUT, "preferred_contact": "fax"}, "q-preferred_contact"),
        ("about", {**ABOUT, "preferred_contact": "email", "email": ""}, "f-email"),
        ("about", {**ABOUT, "sex": "robot", "state": ""}, "q-sex"),
        ("concerns", {"concerns": ["aliens"]}, "q-concerns"),
        ("preferences", {"modality_preference": "teleport"}, "q-modality_preference"),
        ("preferences", {"availability": ["midnight"]}, "q-availability"),
        ("preferences", {"insurance_carrier": "x" * 101}, "f-insurance_carrier"),
        ("safety", {**SAFETY, "asq_1": "maybe"}, "q-asq_1"),
    ],
)
def test_every_error_summary_link_goes_to_its_question(
    client: Any, page: str, data: dict[str, Any], anchor: str
) -> None:
    to_concerns(client)
    response = post(client, page, data)
    assert response.status_code == 422
    links = summary_links(response.text)
    assert anchor in links
    for target in links:
        assert f'id="{target}"' in response.text, target


@pytest.mark.parametrize(
    ("page", "data", "name"),
    [
        ("about", {**ABOUT, "preferred_contact": "fax"}, "preferred_contact"),
        ("about", {**ABOUT, "sex": "robot"}, "sex"),
        ("concerns", {"concerns": ["aliens"]}, "concerns"),
        ("preferences", {"modality_preference": "teleport"}, "modality_preference"),
        ("preferences", {"availability": ["midnight"]}, "availability"),
        ("safety", {**SAFETY, "asq_1": "maybe"}, "asq_1"),
    ],
)
def test_option_questions_mark_their_error_for_screen_readers(
    client: Any, page: str, data: dict[str, Any], name: str
) -> None:
    to_concerns(client)
    text = post(client, page, data).text
    fieldset = text.split(f'id="q-{name}"', 1)[1].split("</fieldset>", 1)[0]
    opening = text.split(f'id="q-{name}"', 1)[0].rsplit("<fieldset", 1)[1]
    assert "has-error" in opening
    assert f'aria-describedby="err-{name}' in fieldset.split(">", 1)[0]
    assert f'id="err-{name}"' in fieldset and f'name="{name}"' in fieldset


def test_option_questions_keep_their_defaults_and_saved_choices(client: Any) -> None:
    about = client.get("/").text
    assert re.search(r'value="phone"\s+checked', about)  # preferred contact defaults to phone
    to_concerns(client, ("depression", "anxiety"))
    prefs = client.get("/step/preferences").text
    assert re.search(r'value="no_preference"\s+checked', prefs)
    location(post(client, "preferences", {"availability": ["weekends", "weekday_mornings"]}))
    prefs = client.get("/step/preferences").text
    for slot in ("weekends", "weekday_mornings"):
        assert re.search(rf'value="{slot}"\s+checked', prefs), slot
    assert not re.search(r'value="weekday_evenings"\s+checked', prefs)
    assert re.search(r'value="anxiety"\s+checked', client.get("/step/concerns").text)


def test_required_answers_have_one_source() -> None:
    # In the form's order, from the questionnaire's definition.
    assert (
        list(validation.REQUIRED_ANSWERS) == "state asq_1 asq_2 asq_3 asq_4 safe_now phq9_9".split()
    )
    assert validation.REQUIRED_FOLLOW_UPS == {"asq_4_when", "asq_5"}
    assert BY_NAME["about"].required == {"state"}
    safety = "asq_1 asq_2 asq_3 asq_4 asq_4_when asq_5 safe_now".split()
    assert BY_NAME["safety"].required == set(safety)
    assert BY_NAME["mood"].required == {"phq9_9"}
    # Every required answer is asked (and required) on some page.
    assert set(validation.REQUIRED_ANSWERS) <= set().union(*(p.required for p in PAGES))
    for page in PAGES:
        assert page.required <= page.owns


def test_missing_state_message_comes_from_validation(client: Any) -> None:
    response = start(client, state="")
    assert validation.REQUIRED_ANSWERS["state"] in response.text


@pytest.mark.commits  # the racing request writes on a connection of its own
def test_a_save_racing_a_submit_goes_to_the_confirmation(
    app: Any, client: Any, demo: Any, monkeypatch: Any
) -> None:
    to_concerns(client)
    real_save = drafts.save

    def submitted_meanwhile(draft: Intake, **kwargs: Any) -> set[str]:
        with db.engine.begin() as conn:  # another request submits between check and save
            conn.execute(
                Intake.__table__.update()
                .where(Intake.__table__.c.id == draft.id)
                .values(status=IntakeStatus.SUBMITTED)
            )
        return real_save(draft, **kwargs)

    monkeypatch.setattr(drafts, "save", submitted_meanwhile)
    before = draft(app).answers
    response = post(client, "mood", MOOD)
    assert location(response).endswith("/done")
    assert draft(app).answers == before  # the submitted intake was not changed
    done = client.get("/done")
    assert done.status_code == 200 and draft(app).reference in done.text


def test_draft_closed_from_save_is_never_a_500(client: Any, monkeypatch: Any) -> None:
    to_concerns(client)

    def closed(draft: Intake, **kwargs: Any) -> set[str]:
        raise drafts.DraftClosed(draft.id)

    monkeypatch.setattr(drafts, "save", closed)
    response = post(client, "mood", MOOD)
    assert location(response).endswith("/done")
    follow = client.get("/done", follow_redirects=True)  # not really sent: back to the form
    assert follow.status_code == 200 and "Thank you. We have your request." not in follow.text


def test_draft_sent_from_another_browser_shows_the_confirmation_not_a_loop(
    app: Any, client: Any, demo: Any
) -> None:
    to_concerns(client)
    post(client, "mood", MOOD)
    with app.app_context():
        path = drafts.resume_url(db.session.query(Intake).one()).split("5000", 1)[1]
    other = app.test_client()
    location(other.get(path))
    location(other.post("/resume", data={"date_of_birth": ABOUT["date_of_birth"]}))
    consent = {"consent_contact": "yes", "consent_privacy": "yes"}
    location(post(other, "review", consent, nav="submit"))
    for response in (client.get("/step/habits"), post(client, "habits", {"auditc_1": "0"})):
        assert location(response).endswith("/done")
    done = client.get("/done")
    assert done.status_code == 200 and draft(app).reference in done.text


def test_the_whole_form_post_reads_every_question_of_the_definition() -> None:
    """The one-post form (scripts and older pages) reads the same questions as the pages: each
    question of intake/questionnaire.py, posted under its key, arrives as an answer."""
    form: MultiDict[str, str] = MultiDict()
    for key, q in questionnaire.QUESTIONS.items():
        if q.options:
            form.add(key, str(q.options[0][0]))
        else:
            form.add(key, "1" if q.kind in ("integer", "number") else "some text")
    _contact, answers, errors = formdata.parse(form)
    assert not errors
    assert set(answers) == set(questionnaire.QUESTIONS)
