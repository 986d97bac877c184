"""FHIR R4: the intake as a Questionnaire; a submitted intake as a QuestionnaireResponse."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from intake import fhir, questionnaire, validation
from intake.extensions import db
from intake.models import AuditEvent, Intake
from intake.public import pages, wording
from tests import factories
from tests.strategies import valid_answer_sets
from tests.support import sign_in


def _items(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in node.get("item", []):
        out.append(item)
        out.extend(_items(item))
    return out


def test_questionnaire_has_every_item_with_loinc_codes(client: Any) -> None:
    response = client.get("/api/v1/questionnaire")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    q = response.json
    assert q["resourceType"] == "Questionnaire" and q["status"] == "active"
    items = {i["linkId"]: i for i in _items(q)}
    assert len(items) == len(_items(q))  # linkIds are unique
    for key in ("asq_1", "safe_now", "phq9_9", "gad7_7", "pcptsd5_5", "dast_10", "pvs_3"):
        assert key in items
    assert items["phq9_9"]["code"] == [{"system": "http://loinc.org", "code": "44260-8"}]
    assert items["phq9_9"]["required"] is True
    assert items["gad7_1"]["answerOption"][0]["valueCoding"]["code"] == "LA6568-5"
    groups = {i["linkId"]: i for i in _items(q) if i["type"] == "group"}
    assert groups["mood.phq9"]["code"][0]["code"] == "44249-1"
    assert groups["mood.gad7"]["code"][0]["code"] == "69737-5"
    assert items["asq_5"]["enableBehavior"] == "any"
    assert items["dast_1"]["enableWhen"][0] == {
        "question": "drug_times",
        "operator": ">=",
        "answerInteger": 1,
    }
    assert groups["experiences.asrs"]["enableWhen"][0]["answerCoding"]["code"] == "adhd"
    for item in items.values():
        if item.get("enableWhen"):
            for cond in item["enableWhen"]:
                assert cond["question"] in items


def test_staff_download_a_questionnaire_response(app: Any, client: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data(phq9_9="1"))
    with app.app_context():
        intake = db.session.query(Intake).one()
    path = f"/api/v1/intakes/{intake.id}/questionnaire-response"
    assert client.get(path).status_code in (302, 401)  # not signed in
    sign_in(client, "coordinator@demo.wayfinder")
    response = client.get(path)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    qr = response.json
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["status"] == "completed"
    assert qr["identifier"]["value"] == intake.reference
    answers = {i["linkId"]: i["answer"] for i in _items(qr) if "answer" in i}
    assert answers["phq9_1"] == [
        {
            "valueCoding": {
                "system": "http://loinc.org",
                "code": "LA6570-1",
                "display": "More than half the days",
            }
        }
    ]
    assert (
        answers["phq9_9"][0]["valueCoding"]["code"] == "1"
    )  # practice codes: item 9 has 'refused'
    assert answers["asq_1"][0]["valueCoding"]["code"] == "no"
    assert answers["concerns"][0]["valueCoding"]["code"] == "depression"
    assert answers["last_name"] == [{"valueString": "Zebrafinch"}]
    assert client.get("/api/v1/intakes/999999/questionnaire-response").status_code == 404
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="intake.exported").count() == 1


def test_clinicians_cannot_download(app: Any, client: Any, demo: Any) -> None:
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake = db.session.query(Intake).one()
    sign_in(client, "ana.rivera@demo.wayfinder")
    assert client.get(f"/api/v1/intakes/{intake.id}/questionnaire-response").status_code == 404


def _answer_sets() -> list[dict[str, Any]]:
    """Answers that exercise every branch of the form: each concern alone (and none, and two
    together) crossed with no/some drinking and drug use; each ASQ item positive, negative or
    unanswered; harm to others and trauma exposure yes/no/unanswered."""
    base = factories.answers(concerns=None)
    concerns: list[list[str] | None] = [None, [], ["couples", "substance"]]
    concerns += [[code] for code, _ in wording.CONCERNS]
    sets = [
        {**base, "concerns": c, "drug_times": d, "auditc_1": a}
        for c, d, a in product(concerns, (None, 0, 1, 3), (None, 0, 1, 4))
    ]
    for key, value in product(
        ("asq_1", "asq_2", "asq_3", "asq_4", "harm_others", "pcptsd5_exposure"),
        ("yes", "no", "refused", None),
    ):
        sets.append({**base, key: value})
    return [{k: v for k, v in answers.items() if v is not None} for answers in sets]


def _response_answers(answers: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The answers as a QuestionnaireResponse carries them, by linkId."""
    intake = Intake(id=1, reference="WF-TEST-0001", status="submitted", contact={}, answers=answers)
    qr = fhir.questionnaire_response(intake)
    return {i["linkId"]: i["answer"] for i in _items(qr) if "answer" in i}


def _holds(condition: dict[str, Any], given: dict[str, list[dict[str, Any]]]) -> bool:
    """One enableWhen, read as FHIR R4 defines its operators (no answer: '=' and '>=' are
    false, '!=' is true)."""
    answers = given.get(condition["question"], [])
    operator = condition["operator"]
    if "answerCoding" in condition:
        want = condition["answerCoding"]
        equal = any(
            (a["valueCoding"]["system"], a["valueCoding"]["code"]) == (want["system"], want["code"])
            for a in answers
        )
        assert operator in ("=", "!="), condition
        return equal if operator == "=" else not equal
    assert operator == ">=" and "answerInteger" in condition, condition
    return any(a["valueInteger"] >= condition["answerInteger"] for a in answers)


def _enabled(node: dict[str, Any], given: dict[str, list[dict[str, Any]]]) -> bool:
    conditions = node.get("enableWhen")
    if not conditions:
        return True
    results = [_holds(c, given) for c in conditions]
    if len(results) > 1:
        assert node["enableBehavior"] in ("any", "all"), node["linkId"]
    return any(results) if node.get("enableBehavior") == "any" else all(results)


def _fhir_asks(answers: dict[str, Any]) -> dict[str, bool]:
    """The answer keys the Questionnaire enables for these answers (read as FHIR R4 reads
    enableWhen: an item is enabled when its group is), each with its `required` flag."""
    given = _response_answers(answers)
    out: dict[str, bool] = {}

    def walk(node: dict[str, Any]) -> None:
        for item in node.get("item", []):
            if not _enabled(item, given):
                continue
            if item["type"] == "group":
                walk(item)
            elif item["type"] != "display" and item["linkId"] in questionnaire.QUESTIONS:
                out[item["linkId"]] = bool(item.get("required"))

    walk(fhir.questionnaire())
    return out


def _form_asks(answers: dict[str, Any]) -> dict[str, bool]:
    """The answer keys the web form's pages show for these answers, each with whether the page
    requires it (what a step checks before moving on)."""
    out: dict[str, bool] = {}
    for page in pages.pages_for(answers):
        keys = {q.key for q in page.questions} | pages.shown_keys(page, answers)
        out |= {k: k in page.required for k in keys}
    return out


def _validation_requires(answers: dict[str, Any], *, valid: bool) -> set[str]:
    """The answers the whole-form post and the API refuse to go without, for these answers.
    With `valid` answers, nothing else is refused: not a follow-up the form does not show, nor
    one it shows."""
    messages = {validation.REQUIRED_MESSAGE, *validation.REQUIRED_MESSAGES.values()}
    _, errors = validation.clean_answers(answers, 30)
    if valid:
        assert all(e.message in messages or "characters" in e.message for e in errors), errors
    return {e.field.removeprefix("answers.") for e in errors if e.message in messages}


def _agree(answers: dict[str, Any], *, valid: bool = False) -> None:
    """The form shows exactly the questions FHIR enables, both require the same ones, and
    validation requires exactly those of them left unanswered (and nothing else)."""
    form, fhir_items = _form_asks(answers), _fhir_asks(answers)
    assert form == fhir_items, (answers, set(form) ^ set(fhir_items))
    unanswered = {k for k, required in form.items() if required and answers.get(k) is None}
    assert _validation_requires(answers, valid=valid) == unanswered, answers
    # Both whole-form checks (validation) and the definition's own reading agree too.
    assert set(questionnaire.missing_required(answers)) == unanswered


@pytest.mark.parametrize("answers", _answer_sets())
def test_form_fhir_and_validation_agree_on_every_branch(answers: dict[str, Any]) -> None:
    """Every branch of the definition (each concern, drinking, drug use, each ASQ answer, harm
    to others, trauma): all three are generated from intake/questionnaire.py."""
    _agree(answers)
    _agree({k: v for k, v in answers.items() if k not in validation.REQUIRED_ANSWERS})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_answer_sets)
def test_form_fhir_and_validation_agree_for_any_answers(answers: dict[str, Any]) -> None:
    _agree(answers, valid=True)


def test_every_condition_reads_a_question_that_is_always_asked() -> None:
    """FHIR ignores the answer of a disabled question; the form reads saved answers. They agree
    because every condition reads a question shown to everyone."""
    for key in questionnaire.QUESTIONS:
        for when in questionnaire.chain(key):
            for read, _op, _value in when:
                assert not questionnaire.chain(read), (key, read)
