"""The intake as FHIR R4: a Questionnaire for the form, a QuestionnaireResponse per intake.

linkIds are the contract's answer keys, so a response maps one-to-one onto stored answers.
LOINC codes are used where clinical-reference.md gives them (PHQ-9, GAD-7, AUDIT-C panels and
items, their answer lists); other answers are coded in the practice's own vocabulary system.
Branching (`enableWhen`) mirrors the form's: follow-ups and the concern-driven instruments
(restated here; tests/web/test_fhir.py checks that both show the same items for the same answers).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from intake.models import Intake
from intake.public import wording
from intake.public.pages import PAGES, Block, Page
from intake.screening import INSTRUMENTS, Item

LOINC = "http://loinc.org"
VOCAB = "https://wayfinder.example/fhir/CodeSystem/intake-answers"
QUESTIONNAIRE_URL = "https://wayfinder.example/fhir/Questionnaire/intake"
REFERENCE_SYSTEM = "https://wayfinder.example/fhir/intake-reference"
VERSION = "1.0.0"

_ANY_POSITIVE: list[tuple[str, str, object]] = [
    (f"asq_{i}", "=", v) for i in range(1, 5) for v in ("yes", "refused")
]
ENABLE_WHEN: dict[str, list[tuple[str, str, object]]] = {
    "asq_4_when": [("asq_4", "=", "yes")],
    "asq_5": _ANY_POSITIVE,
    "harm_others_intent": [("harm_others", "=", "yes")],
    "auditc_2": [("auditc_1", "!=", 0)],
    "auditc_3": [("auditc_1", "!=", 0)],
    # The form asks it for any drinking (auditc_1 of 1 or more, not merely "not never": an
    # unanswered auditc_1 does not open it), any drug use, or the substance concern.
    "withdrawal_risk": [
        *(("auditc_1", "=", v) for v, _ in INSTRUMENTS["auditc"].item("auditc_1").options if v),
        ("drug_times", ">=", 1),
        ("concerns", "=", "substance"),
    ],
    **{f"pcptsd5_{i}": [("pcptsd5_exposure", "=", "yes")] for i in range(1, 6)},
    **{f"dast_{i}": [("drug_times", ">=", 1)] for i in range(1, 11)},
}
BLOCK_CONCERNS = {
    "asrs": ("adhd", "not_sure"),
    "mdq": ("bipolar", "depression"),
    "oci4": ("ocd", "anxiety"),
    "scoff": ("eating",),
    "body": ("eating",),
}
PAGE_CONCERNS = {"relationship": ("couples", "relationships")}
# Answers that open a block besides its concerns: the MDQ for low mood (PHQ-9 item 1 or 2 at 1
# or more), as intake/public/pages.py asks it.
BLOCK_ALSO: dict[str, list[tuple[str, str, object]]] = {
    "mdq": [(f"phq9_{i}", "=", v) for i in (1, 2) for v in (1, 2, 3)],
}


def _answer_codes(key: str) -> dict[object, str]:
    prefix = key.split("_", 1)[0]
    inst = INSTRUMENTS.get(prefix)
    return dict(inst.answer_loinc) if inst is not None and key != "phq9_9" else {}


def _coding(key: str, value: object, display: str) -> dict[str, Any]:
    code = _answer_codes(key).get(value)
    if code:
        return {"system": LOINC, "code": code, "display": display}
    return {"system": VOCAB, "code": str(value), "display": display}


def _enable(conditions: list[tuple[str, str, object]]) -> dict[str, Any]:
    out: dict[str, Any] = {"enableWhen": []}
    for question, operator, value in conditions:
        if operator == ">=":
            answer: dict[str, Any] = {"answerInteger": value}
        else:
            answer = {"answerCoding": _coding(question, value, str(value))}
        out["enableWhen"].append({"question": question, "operator": operator, **answer})
    if len(conditions) > 1:
        out["enableBehavior"] = "any"
    return out


def _question(item: Item, required: bool = False) -> dict[str, Any]:
    q: dict[str, Any] = {"linkId": item.key, "text": item.text}
    if item.loinc:
        q["code"] = [{"system": LOINC, "code": item.loinc}]
    if item.kind == "integer":
        q["type"] = "integer"
    elif item.kind == "number":
        q["type"] = "decimal"
        q["text"] = f"{item.text} ({item.unit})"
    else:
        q["type"] = "choice"
        q["answerOption"] = [
            {"valueCoding": _coding(item.key, value, label)} for value, label in item.options
        ]
    if required:
        q["required"] = True
    if item.key in ENABLE_WHEN:
        q.update(_enable(ENABLE_WHEN[item.key]))
    return q


def _simple(
    link_id: str, text: str, kind: str, required: bool = False, **extra: Any
) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "type": kind, "required": required, **extra}


def _options(pairs: Any, key: str) -> list[dict[str, Any]]:
    return [{"valueCoding": _coding(key, v, label)} for v, label in pairs]


def _contact_group() -> dict[str, Any]:
    return {
        "linkId": "about",
        "text": "About you",
        "type": "group",
        "item": [
            _simple("first_name", "First name", "string", True),
            _simple("last_name", "Last name", "string", True),
            _simple("date_of_birth", "Date of birth", "date", True),
            _simple("phone", "Phone", "string", True),
            _simple("email", "Email", "string"),
            _simple(
                "preferred_contact",
                "How should we contact you?",
                "choice",
                answerOption=_options(wording.CONTACT_METHODS, "preferred_contact"),
            ),
            _simple(
                "state",
                "The state you will be in during visits",
                "choice",
                True,
                answerOption=_options(wording.STATES, "state"),
            ),
            _simple("sex", "Sex", "choice", answerOption=_options(wording.SEXES, "sex")),
            _simple("emergency_contact.name", "Emergency contact: name", "string"),
            _simple("emergency_contact.phone", "Emergency contact: phone", "string"),
        ],
    }


def _block_group(page: Page, block: Block) -> dict[str, Any]:
    group: dict[str, Any] = {
        "linkId": f"{page.name}.{block.key}",
        "text": block.title,
        "type": "group",
        "item": [_question(i, i.key in page.required) for i in block.items],
    }
    inst = INSTRUMENTS.get(block.key)
    if inst is not None and inst.loinc:
        group["code"] = [{"system": LOINC, "code": inst.loinc, "display": inst.name}]
    if block.stem:
        group["item"].insert(
            0, {"linkId": f"{page.name}.{block.key}.stem", "text": block.stem, "type": "display"}
        )
    names = BLOCK_CONCERNS.get(block.key) or PAGE_CONCERNS.get(page.name)
    if names:
        group.update(_enable([("concerns", "=", n) for n in names] + BLOCK_ALSO.get(block.key, [])))
    return group


def _groups() -> list[dict[str, Any]]:
    groups = [_contact_group()]
    for page in PAGES:
        if page.name == "concerns":
            groups.append(
                {
                    "linkId": "concerns-page",
                    "text": page.title,
                    "type": "group",
                    "item": [
                        _simple(
                            "concerns",
                            "What would you like help with?",
                            "choice",
                            repeats=True,
                            answerOption=_options(wording.CONCERNS, "concerns"),
                        ),
                        _simple("free_text", "In your own words", "text", maxLength=4000),
                    ],
                }
            )
        elif page.name == "preferences":
            groups.append(
                {
                    "linkId": "preferences",
                    "text": page.title,
                    "type": "group",
                    "item": [
                        _simple(
                            "modality_preference",
                            "How would you like to meet?",
                            "choice",
                            answerOption=_options(wording.MODALITIES, "modality_preference"),
                        ),
                        _simple("location", "Which clinic, for in-person visits", "string"),
                    ],
                }
            )
        groups.extend(_block_group(page, block) for block in page.blocks)
    return groups


@cache
def questionnaire() -> dict[str, Any]:
    """The form as a Questionnaire, built once: it depends on the form's definition only, not on
    the request or the app's settings. Every caller gets the same dict: never mutate it."""
    return {
        "resourceType": "Questionnaire",
        "id": "wayfinder-intake",
        "url": QUESTIONNAIRE_URL,
        "version": VERSION,
        "name": "WayfinderIntake",
        "title": "Wayfinder intake questionnaire",
        "status": "active",
        "subjectType": ["Patient"],
        "item": _groups(),
    }


def _answers_for(question: dict[str, Any], value: object) -> list[dict[str, Any]]:
    values = value if isinstance(value, list) else [value]
    kind = question["type"]
    if kind == "choice":
        labels = {o["valueCoding"]["code"]: o["valueCoding"] for o in question["answerOption"]}
        out = []
        for v in values:
            coding = _coding(question["linkId"], v, str(v))
            out.append({"valueCoding": labels.get(coding["code"], coding)})
        return out
    field = {"integer": "valueInteger", "decimal": "valueDecimal", "date": "valueDate"}.get(
        kind, "valueString"
    )
    return [{field: v} for v in values]


def _flat_values(intake: Intake) -> dict[str, object]:
    contact = dict(intake.contact or {})
    ec = contact.pop("emergency_contact", None) or {}
    values: dict[str, object] = {k: v for k, v in contact.items() if isinstance(v, str)}
    values.update({f"emergency_contact.{k}": v for k, v in ec.items() if v})
    values.update(intake.answers or {})
    return values


def _respond(items: list[dict[str, Any]], values: dict[str, object]) -> list[dict[str, Any]]:
    out = []
    for q in items:
        if q["type"] == "group":
            inner = _respond(q["item"], values)
            if inner:
                out.append({"linkId": q["linkId"], "text": q["text"], "item": inner})
        elif q["type"] != "display" and values.get(q["linkId"]) not in (None, "", []):
            out.append(
                {
                    "linkId": q["linkId"],
                    "text": q["text"],
                    "answer": _answers_for(q, values[q["linkId"]]),
                }
            )
    return out


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def questionnaire_response(intake: Intake) -> dict[str, Any]:
    """One intake's answers (and contact details: staff only) as a QuestionnaireResponse."""
    response: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": f"intake-{intake.id}",
        "identifier": {"system": REFERENCE_SYSTEM, "value": intake.reference},
        "questionnaire": f"{QUESTIONNAIRE_URL}|{VERSION}",
        "status": "in-progress" if intake.status == "draft" else "completed",
        "item": _respond(questionnaire()["item"], _flat_values(intake)),
    }
    authored = _instant(intake.submitted_at or intake.updated_at)
    if authored:
        response["authored"] = authored
    return response
