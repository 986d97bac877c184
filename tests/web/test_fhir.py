"""FHIR R4: the intake as a Questionnaire; a submitted intake as a QuestionnaireResponse."""

from __future__ import annotations

from itertools import product
from typing import Any

from intake import fhir
from intake.extensions import db
from intake.models import AuditEvent, Intake
from intake.public import wording
from intake.public.pages import PAGES, visible
from tests import factories
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


def test_enable_when_agrees_with_the_forms_branching() -> None:
    """For every item the form pages show, the Questionnaire enables it for exactly the same
    answers: page and block conditions (concerns) and the item's own follow-up rule."""
    groups = {g["linkId"]: g for g in _items(fhir.questionnaire()) if g["type"] == "group"}
    answer_sets = _answer_sets()
    mismatches: list[str] = []
    checked = 0
    for answers in answer_sets:
        given = _response_answers(answers)
        for page in PAGES:
            for block in page.blocks:
                group = groups[f"{page.name}.{block.key}"]
                in_group = {i["linkId"]: i for i in group["item"]}
                for item in block.items:
                    shown = page.applies(answers) and block.applies(answers)
                    shown = shown and visible(item, answers)
                    enabled = _enabled(group, given) and _enabled(in_group[item.key], given)
                    checked += 1
                    if shown != enabled:
                        mismatches.append(f"{item.key}: form {shown}, FHIR {enabled}, {answers}")
    items = sum(len(b.items) for p in PAGES for b in p.blocks)
    print(f"enableWhen vs form: {items} items x {len(answer_sets)} answer sets = {checked} checks")
    assert checked == items * len(answer_sets)
    assert not mismatches, "\n".join(mismatches[:10])
