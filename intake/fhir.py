"""The intake as FHIR R4: a Questionnaire for the form, a QuestionnaireResponse per intake.

linkIds are the contract's answer keys, so a response maps one-to-one onto stored answers.
LOINC codes are used where clinical-reference.md gives them (PHQ-9, GAD-7, AUDIT-C panels and
items, their answer lists); other answers are coded in the practice's own vocabulary system.
Items, `required` and branching (`enableWhen`) are derived from the questionnaire's definition
(intake/questionnaire.py), whose conditions are FHIR's own operators: a condition on a choice
question with `>=` becomes one `=` per option it admits.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from intake.models import Intake, as_utc
from intake.public import wording
from intake.questionnaire import PAGES, QUESTIONS, Block, Page, Question, When
from intake.screening import INSTRUMENTS
from intake.triage.vocabulary import FREE_TEXT_MAX

LOINC = "http://loinc.org"
VOCAB = "https://wayfinder.example/fhir/CodeSystem/intake-answers"
QUESTIONNAIRE_URL = "https://wayfinder.example/fhir/Questionnaire/intake"
REFERENCE_SYSTEM = "https://wayfinder.example/fhir/intake-reference"
VERSION = "1.0.0"


def _answer_codes(key: str) -> dict[object, str]:
    prefix = key.split("_", 1)[0]
    inst = INSTRUMENTS.get(prefix)
    return dict(inst.answer_loinc) if inst is not None and key != "phq9_9" else {}


def _coding(key: str, value: object, display: str) -> dict[str, Any]:
    code = _answer_codes(key).get(value)
    if code:
        return {"system": LOINC, "code": code, "display": display}
    return {"system": VOCAB, "code": str(value), "display": display}


def _fhir_conditions(when: When) -> list[tuple[str, str, object]]:
    """The definition's conditions as FHIR can state them: `>=` on a choice question becomes one
    `=` per option it admits (FHIR compares codings only for equality)."""
    out: list[tuple[str, str, object]] = []
    for key, op, value in when:
        question = QUESTIONS[key]
        if op == ">=" and question.kind != "integer":
            out += [
                (key, "=", v)
                for v, _ in question.options
                if type(v) is int and type(value) is int and v >= value
            ]
        else:
            out.append((key, op, value))
    return out


def _enable(when: When) -> dict[str, Any]:
    conditions = _fhir_conditions(when)
    if not conditions:
        return {}
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


def _question(item: Question) -> dict[str, Any]:
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
        q["answerOption"] = _options(item.options, item.key)
    if item.required:
        q["required"] = True
    q.update(_enable(item.when))
    return q


def _page_question(item: Question) -> dict[str, Any]:
    """A question of a page with its own layout (about you, concerns, preferences)."""
    extra: dict[str, Any] = {}
    kind = {"choices": "choice", "text": "text", "string": "string"}.get(item.kind, item.kind)
    if item.kind == "choices":
        extra["repeats"] = True
    if item.options:
        extra["answerOption"] = _options(item.options, item.key)
    if item.kind == "text":
        extra["maxLength"] = FREE_TEXT_MAX
    return {**_simple(item.key, item.text, kind, item.required, **extra), **_enable(item.when)}


def _simple(
    link_id: str, text: str, kind: str, required: bool = False, **extra: Any
) -> dict[str, Any]:
    return {"linkId": link_id, "text": text, "type": kind, "required": required, **extra}


def _options(pairs: Any, key: str) -> list[dict[str, Any]]:
    return [{"valueCoding": _coding(key, v, label)} for v, label in pairs]


def _contact_group(about: Page) -> dict[str, Any]:
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
            *(_page_question(q) for q in about.questions),
            _simple("emergency_contact.name", "Emergency contact: name", "string"),
            _simple("emergency_contact.phone", "Emergency contact: phone", "string"),
        ],
    }


def _block_group(page: Page, block: Block) -> dict[str, Any]:
    group: dict[str, Any] = {
        "linkId": f"{page.name}.{block.key}",
        "text": block.title,
        "type": "group",
        "item": [_question(i) for i in block.items],
    }
    inst = INSTRUMENTS.get(block.key)
    if inst is not None and inst.loinc:
        group["code"] = [{"system": LOINC, "code": inst.loinc, "display": inst.name}]
    if block.stem:
        group["item"].insert(
            0, {"linkId": f"{page.name}.{block.key}.stem", "text": block.stem, "type": "display"}
        )
    # A block is shown when its page is and its own conditions hold; the definition gives one
    # of the two at most (FHIR's enableBehavior cannot say "any of these and any of those").
    if page.when and block.when:
        raise ValueError(f"{page.name}.{block.key}: conditions on both the page and the block")
    group.update(_enable(page.when or block.when))
    return group


# The groups of pages with their own layout (linkIds kept stable for saved responses).
_PAGE_GROUPS = {"concerns": "concerns-page", "preferences": "preferences"}


def _groups() -> list[dict[str, Any]]:
    groups = []
    for page in PAGES:
        if page.name == "about":
            groups.append(_contact_group(page))
        elif page.questions:
            group = {
                "linkId": _PAGE_GROUPS[page.name],
                "text": page.title,
                "type": "group",
                "item": [_page_question(q) for q in page.questions],
            }
            groups.append({**group, **_enable(page.when)})
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
    """A FHIR instant/dateTime with its zone: FHIR refuses a time of day without one, and
    SQLite hands stored (UTC) times back naive."""
    return as_utc(at).isoformat() if at is not None else None


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
