"""FHIR R4: the intake as a Questionnaire; a submitted intake as a QuestionnaireResponse."""

from __future__ import annotations

from typing import Any

from intake.extensions import db
from intake.models import AuditEvent, Intake
from tests import factories
from tests.web.test_staff import sign_in


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
