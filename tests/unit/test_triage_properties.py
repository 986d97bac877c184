"""Properties over generated valid answer sets: total, deterministic, contract-shaped, monotone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import PREFIXES
from intake.triage import (
    FLAGS,
    MODALITIES,
    SERVICE_LINES,
    URGENCIES,
    VOCABULARY,
    triage,
    validate_answers,
)
from tests.strategies import valid_answer_sets

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

answer_sets = valid_answer_sets

RANK = {u: i for i, u in enumerate(URGENCIES)}  # 0 = crisis


def _bump_phq9_9(a: dict[str, Any]) -> dict[str, Any]:
    v = a.get("phq9_9")
    return a | {"phq9_9": 3 if v in (2, 3, "refused") else 1 if v is None else v + 1}


RISK_EDITS: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = [
    *[(f"asq_{n} yes", lambda a, n=n: a | {f"asq_{n}": "yes"}) for n in range(1, 5)],
    ("asq_5 yes", lambda a: a | {"asq_5": "yes"}),
    ("asq_4 in past 3 months", lambda a: a | {"asq_4": "yes", "asq_4_when": "past_3_months"}),
    ("safe_now no", lambda a: a | {"safe_now": "no"}),
    ("phq9_9 higher", _bump_phq9_9),
    ("self_injury yes", lambda a: a | {"self_injury": "yes"}),
    ("harm_others yes", lambda a: a | {"harm_others": "yes"}),
    ("mania_now yes", lambda a: a | {"mania_now": "yes"}),
    ("psychosis yes", lambda a: a | {"psychosis": "yes"}),
    ("ed_red_flags_today yes", lambda a: a | {"ed_red_flags_today": "yes"}),
    ("withdrawal_risk yes", lambda a: a | {"withdrawal_risk": "yes"}),
    ("pvs_1 yes", lambda a: a | {"pvs_1": "yes"}),
    ("perinatal yes", lambda a: a | {"perinatal": "yes"}),
    (
        "crisis words in free text",
        lambda a: a | {"free_text": (a.get("free_text") or "")[:3900] + " I want to kill myself"},
    ),
]


@SETTINGS
@given(answer_sets)
def test_generated_answers_are_valid(answers: dict[str, Any]) -> None:
    assert validate_answers(answers) == []


@SETTINGS
@given(answer_sets)
def test_total_deterministic_and_contract_shaped(answers: dict[str, Any]) -> None:
    d = triage(answers)
    again = triage(dict(answers))
    assert d.to_dict() == again.to_dict()

    out = json.loads(json.dumps(d.to_dict()))
    assert set(out) == {
        "urgency", "service_line", "secondary_lines", "modality", "flags", "scores", "reasons",
        "ruleset_version",
    }  # fmt: skip
    assert out["urgency"] in URGENCIES
    assert out["service_line"] in SERVICE_LINES
    assert out["modality"] in MODALITIES
    assert set(out["secondary_lines"]) <= set(SERVICE_LINES)
    assert out["service_line"] not in out["secondary_lines"]
    assert len(set(out["secondary_lines"])) == len(out["secondary_lines"])
    assert out["flags"] == sorted(out["flags"]) and set(out["flags"]) <= set(FLAGS)
    assert set(out["scores"]) == set(PREFIXES)
    for prefix, s in out["scores"].items():
        keys = (
            {"avoidance", "anxiety", "band", "positive"}
            if prefix == "ecrrs"
            else {"score", "band", "positive"}
        )
        assert set(s) == keys
    assert out["reasons"] and all(set(r) == {"rule", "text"} for r in out["reasons"])


@SETTINGS
@given(answer_sets)
def test_safety_invariants(answers: dict[str, Any]) -> None:
    d = triage(answers)
    if d.urgency == "crisis":
        assert d.modality == "emergency"
    age = answers.get("age")
    assert ("minor" in d.flags) is (age is not None and age < 18)
    if d.scores["pvs"].positive:
        assert d.service_line != "couples"  # couples work never goes ahead while IPV is positive
        assert "ipv" in d.flags
    if answers.get("asq_5") == "yes" or answers.get("safe_now") == "no":
        assert d.urgency == "crisis"
    if any(s.prorated for s in d.scores.values()):
        assert "prorated" in d.flags


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answer_sets)
def test_adding_a_risk_answer_never_lowers_urgency(answers: dict[str, Any]) -> None:
    before = RANK[triage(answers).urgency]
    for label, edit in RISK_EDITS:
        after = RANK[triage(edit(answers)).urgency]
        assert after <= before, f"{label} lowered urgency"


@SETTINGS
@given(answer_sets, st.sampled_from(sorted(VOCABULARY)))
def test_a_missing_answer_and_a_none_one_decide_alike(answers: dict[str, Any], key: str) -> None:
    """None means "not answered" (the contract): removing an answer or setting it to None gives
    the same decision, whichever answer it is."""
    answers.pop(key, None)
    assert triage(answers).to_dict() == triage(answers | {key: None}).to_dict(), key


_JUNK = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.lists(st.integers() | st.text(max_size=4), max_size=3)
)


@SETTINGS
@given(
    st.dictionaries(st.text(max_size=12), _JUNK)
    | st.dictionaries(st.sampled_from(sorted(VOCABULARY)), _JUNK)
)
def test_garbage_never_raises(answers: dict[str, Any]) -> None:
    """Invalid input is the validator's job, but triage must still not raise on it; and the
    validator names every unknown question, and only questions that were answered."""
    assert triage(answers).urgency in URGENCIES
    named = {key for key, _message in validate_answers(answers)}
    answered = {key for key, value in answers.items() if value is not None}
    assert {key for key in answered if key not in VOCABULARY} <= named <= answered
