"""One submitted intake as a FHIR R4 transaction Bundle, for the practice's EHR.

What it holds (README "FHIR export"): the Patient; the QuestionnaireResponse (intake/fhir.py)
with `subject` set; an Observation per instrument that produced a score, band or screen result,
coded with the total score's LOINC code where one exists (`TOTALS`, each code listed with its
source in intake/loinc.py) and in the practice's own code system otherwise, with its
interpretation (positive / negative / unknown, and the band); a Flag per triage flag (and one
for a crisis decision); and a ServiceRequest for the referral (service line, urgency as
priority, modality) with the rules' reasons as notes.

Every entry is a conditional create (`request.ifNoneExist` on the entry's identifier, which
derives from the intake's reference), so importing the same file twice creates nothing new; the
Patient's identifier is the intake's, so matching a person across intakes is left to the EHR.
fullUrls are `urn:uuid:` names derived from the reference (the same intake always gives the same
file) and the entries refer to one another by them. Plain dicts, ready for JSON: the suite
checks them against the R4 models of `fhir.resources`, which the app itself does not need.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from intake import fhir
from intake.loinc import SYSTEM as LOINC
from intake.models import Intake, as_utc
from intake.screening import INSTRUMENTS

_BASE = "https://wayfinder.example/fhir"
PATIENT_SYSTEM = f"{_BASE}/intake-patient"  # the intake that introduced the person
RESOURCE_SYSTEM = f"{_BASE}/intake-resource"  # "<reference>/<part>": one per Bundle entry
SCORE_SYSTEM = f"{_BASE}/CodeSystem/instrument-scores"  # instruments without a LOINC total
BAND_SYSTEM = f"{_BASE}/CodeSystem/score-bands"
FLAG_SYSTEM = f"{_BASE}/CodeSystem/triage-flags"
SERVICE_LINE_SYSTEM = f"{_BASE}/CodeSystem/service-lines"
MODALITY_SYSTEM = f"{_BASE}/CodeSystem/modalities"
RULE_SYSTEM = f"{_BASE}/CodeSystem/triage-rules"

INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
UCUM = "http://unitsofmeasure.org"
BCP47 = "urn:ietf:bcp:47"

# The LOINC code of each instrument's total score, where one exists (clinical-reference.md).
TOTALS: dict[str, str] = {
    "phq9": "44261-6",
    "gad7": "70274-6",
    "auditc": "75626-2",
    "dast": "82667-7",
}
# Urgency as ServiceRequest.priority (FHIR's request-priority codes).
PRIORITY: dict[str, str] = {
    "crisis": "stat",
    "urgent": "urgent",
    "soon": "asap",
    "routine": "routine",
}
# Flags about a person's safety (flag-category "safety"); the others are "clinical".
_SAFETY_FLAGS = frozenset({"crisis", "crisis_text", "ipv", "minor"})
# Answers not given by the person but derived from what they gave (age: the date of birth).
DERIVED_ANSWERS = frozenset({"age"})
UNLISTED_GROUP = "unlisted-answers"


def _uuid(reference: str, part: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{RESOURCE_SYSTEM}/{reference}/{part}')}"


def _instant(at: datetime | None) -> str | None:
    return as_utc(at).isoformat() if at is not None else None


def _concept(system: str, code: str, text: str | None = None) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}], "text": text or code.replace("_", " ")}


def _label(code: str) -> str:
    return code.replace("_", " ")


class _Entries:
    """The Bundle's entries, each a conditional create on its own identifier."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        self.entries: list[dict[str, Any]] = []

    def add(self, part: str, resource: dict[str, Any], system: str = RESOURCE_SYSTEM) -> str:
        value = self.reference if system == PATIENT_SYSTEM else f"{self.reference}/{part}"
        identifier = {"system": system, "value": value}
        kind = resource["resourceType"]
        # QuestionnaireResponse.identifier is a single Identifier in R4; the others are lists.
        resource["identifier"] = identifier if kind == "QuestionnaireResponse" else [identifier]
        url = _uuid(self.reference, part)
        self.entries.append(
            {
                "fullUrl": url,
                "resource": resource,
                "request": {
                    "method": "POST",
                    "url": kind,
                    "ifNoneExist": f"identifier={system}|{value}",
                },
            }
        )
        return url


def _patient(intake: Intake) -> dict[str, Any]:
    contact = intake.contact or {}
    answers = intake.answers or {}
    patient: dict[str, Any] = {"resourceType": "Patient", "active": True}
    first, last = contact.get("first_name"), contact.get("last_name")
    name: dict[str, Any] = {"use": "official"}
    if last:
        name["family"] = last
    if first:
        name["given"] = [first]
    if first or last:
        name["text"] = " ".join(p for p in (first, last) if p)
        patient["name"] = [name]
    if contact.get("date_of_birth"):
        patient["birthDate"] = contact["date_of_birth"]
    preferred = contact.get("preferred_contact")
    telecom: list[dict[str, Any]] = []
    if contact.get("phone"):
        telecom.append({"system": "phone", "value": contact["phone"]})
        if preferred == "text":
            telecom.append({"system": "sms", "value": contact["phone"], "rank": 1})
        elif preferred == "phone":
            telecom[0]["rank"] = 1
    if contact.get("email"):
        telecom.append({"system": "email", "value": contact["email"]})
        if preferred == "email":
            telecom[-1]["rank"] = 1
    if telecom:
        patient["telecom"] = telecom
    if isinstance(answers.get("state"), str):
        patient["address"] = [{"state": answers["state"], "country": "US"}]
    if intake.language:
        patient["communication"] = [
            {"language": _concept(BCP47, intake.language, intake.language), "preferred": True}
        ]
    emergency = contact.get("emergency_contact") or {}
    if emergency.get("name") or emergency.get("phone"):
        person: dict[str, Any] = {"relationship": [_concept(CONTACT_ROLE, "C", "Emergency")]}
        if emergency.get("name"):
            person["name"] = {"text": emergency["name"]}
        if emergency.get("phone"):
            person["telecom"] = [{"system": "phone", "value": emergency["phone"]}]
        patient["contact"] = [person]
    return patient


def _given(intake: Intake) -> dict[str, object]:
    """Every answer the person gave, by the linkId the QuestionnaireResponse gives it."""
    contact = dict(intake.contact or {})
    emergency = contact.pop("emergency_contact", None) or {}
    given: dict[str, object] = dict(contact)
    given.update({f"emergency_contact.{k}": v for k, v in emergency.items()})
    given.update({k: v for k, v in (intake.answers or {}).items() if k not in DERIVED_ANSWERS})
    return {k: v for k, v in given.items() if v not in (None, "", [], {})}


def _answered(items: list[dict[str, Any]]) -> set[str]:
    out: set[str] = set()
    for item in items:
        if item.get("answer"):
            out.add(item["linkId"])
        out |= _answered(item.get("item", []))
    return out


def questionnaire_response(intake: Intake, subject: str | None = None) -> dict[str, Any]:
    """The intake's QuestionnaireResponse with `subject`, and without a server id (the Bundle
    creates it). An answer the Questionnaire has no item for is never dropped: it is kept in a
    group of its own, as its JSON text."""
    response = fhir.questionnaire_response(intake)
    response.pop("id", None)
    if subject is not None:
        response["subject"] = {"reference": subject}
    unlisted = sorted(set(_given(intake)) - _answered(response.get("item", [])))
    if unlisted:
        values = _given(intake)
        response.setdefault("item", []).append(
            {
                "linkId": UNLISTED_GROUP,
                "text": "Answers this version of the questionnaire has no item for",
                "item": [
                    {
                        "linkId": key,
                        "text": key,
                        "answer": [{"valueString": json.dumps(values[key], ensure_ascii=False)}],
                    }
                    for key in unlisted
                ],
            }
        )
    return response


def _quantity(value: float | int) -> dict[str, Any]:
    return {"value": value, "system": UCUM, "code": "{score}", "unit": "{score}"}


def _interpretation(result: dict[str, Any]) -> list[dict[str, Any]]:
    positive = result.get("positive")
    if positive is True:
        out = [{"coding": [{"system": INTERPRETATION, "code": "POS"}], "text": "positive"}]
    elif positive is False:
        out = [{"coding": [{"system": INTERPRETATION, "code": "NEG"}], "text": "negative"}]
    else:  # unknown is never read as negative (clinical-rules.md D2)
        out = [{"coding": [{"system": INTERPRETATION, "code": "IND"}], "text": "unknown"}]
    if result.get("band"):
        out.append(_concept(BAND_SYSTEM, str(result["band"]), str(result["band"])))
    return out


def _observation(
    prefix: str, result: dict[str, Any], flags: set[str], patient: str, qr: str, at: str | None
) -> dict[str, Any] | None:
    """The Observation of one instrument's result, or None when it was not asked."""
    means: dict[str, float] = {
        k: result[k] for k in ("avoidance", "anxiety") if result.get(k) is not None
    }
    if result.get("score") is None and not means and not result.get("band"):
        if result.get("positive") is None:
            return None
    inst = INSTRUMENTS[prefix]
    if prefix in TOTALS:
        code = {"coding": [{"system": LOINC, "code": TOTALS[prefix]}], "text": inst.name}
    else:
        code = _concept(SCORE_SYSTEM, prefix, inst.name)
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
        "code": code,
        "subject": {"reference": patient},
        "derivedFrom": [{"reference": qr}],
        "interpretation": _interpretation(result),
    }
    if at:
        obs["effectiveDateTime"] = at
    if result.get("score") is not None:
        obs["valueQuantity"] = _quantity(result["score"])
    elif means:
        obs["component"] = [
            {"code": _concept(SCORE_SYSTEM, f"{prefix}_{k}", k), "valueQuantity": _quantity(v)}
            for k, v in means.items()
        ]
    else:
        # A screen decided by a rule (no total), or a total unknown from missing answers.
        reason = "not-applicable" if result.get("positive") is not None else "unknown"
        obs["dataAbsentReason"] = _concept(DATA_ABSENT, reason)
    if f"partial:{prefix}" in flags:
        obs["note"] = [{"text": "Some items were left unanswered: the total may be higher."}]
    return obs


def _flag(code: str, patient: str, at: str | None) -> dict[str, Any]:
    category = "safety" if code in _SAFETY_FLAGS else "clinical"
    flag: dict[str, Any] = {
        "resourceType": "Flag",
        "status": "active",
        "category": [_concept(FLAG_CATEGORY, category, category)],
        "code": _concept(FLAG_SYSTEM, code, _label(code)),
        "subject": {"reference": patient},
    }
    if at:
        flag["period"] = {"start": at}
    return flag


def _service_request(
    intake: Intake,
    decision: dict[str, Any],
    patient: str,
    supporting: list[str],
    positive: list[str],
    at: str | None,
) -> dict[str, Any]:
    line = intake.service_line or decision.get("service_line") or "other"
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        # The rules propose; a coordinator or the clinician confirms the referral.
        "status": "active",
        "intent": "proposal",
        "code": _concept(SERVICE_LINE_SYSTEM, line, _label(line)),
        "subject": {"reference": patient},
        "supportingInfo": [{"reference": r} for r in supporting],
    }
    urgency = intake.urgency or decision.get("urgency")
    if urgency in PRIORITY:
        request["priority"] = PRIORITY[urgency]
    modality = intake.modality or decision.get("modality")
    if modality:
        request["orderDetail"] = [_concept(MODALITY_SYSTEM, modality, _label(modality))]
    if positive:
        request["reasonReference"] = [{"reference": r} for r in positive]
    if at:
        request["authoredOn"] = at
    notes = [
        {"text": f"{reason['rule']}: {reason['text']}"}
        for reason in decision.get("reasons") or []
        if reason.get("text")
    ]
    secondary = decision.get("secondary_lines") or []
    if secondary:
        notes.append({"text": "Also: " + ", ".join(_label(s) for s in secondary)})
    if decision.get("ruleset_version"):
        notes.append({"text": f"Rules version {decision['ruleset_version']}"})
    if notes:
        request["note"] = notes
    return request


def bundle(intake: Intake) -> dict[str, Any]:
    """The intake (submitted, not a draft) as a FHIR R4 transaction Bundle (plain dicts)."""
    entries = _Entries(intake.reference)
    decision = intake.decision or {}
    flags = set(decision.get("flags") or [])
    at = _instant(intake.submitted_at or intake.updated_at)
    patient = entries.add("patient", _patient(intake), PATIENT_SYSTEM)
    qr_url = entries.add("questionnaire-response", questionnaire_response(intake, patient))
    observations: list[str] = []
    positive: list[str] = []
    for prefix, result in (decision.get("scores") or {}).items():
        if prefix not in INSTRUMENTS or not isinstance(result, dict):
            continue
        obs = _observation(prefix, result, flags, patient, qr_url, at)
        if obs is not None:
            url = entries.add(f"observation/{prefix}", obs)
            observations.append(url)
            if result.get("positive") is True:
                positive.append(url)
    safety = sorted(f for f in flags if not f.startswith("partial:"))
    if (intake.urgency or decision.get("urgency")) == "crisis":
        safety.insert(0, "crisis")
    for code in safety:
        entries.add(f"flag/{code}", _flag(code, patient, at))
    if decision:
        request = _service_request(intake, decision, patient, [qr_url, *observations], positive, at)
        entries.add("service-request", request)
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "transaction"}
    if at:
        out["timestamp"] = at
    out["entry"] = entries.entries
    return out


def filename(intake: Intake) -> str:
    """The file a Bundle is saved as: the intake's reference (no health information)."""
    return f"{intake.reference}-bundle.json"
