"""The questionnaire's definition (intake/questionnaire.py): which blocks the form shows (MDQ for
low mood), how its conditions read, and that its questions speak the contract vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from intake import questionnaire
from intake.public.pages import BY_NAME, PAGES, shown_keys
from intake.triage.vocabulary import CONCERNS, STATES, VOCABULARY, check_value

EXPERIENCES = BY_NAME["experiences"]

# (label, saved answers, MDQ shown)
MDQ_SHOWN = [
    ("PHQ-9 item 1 (little interest) at 1", {"phq9_1": 1, "phq9_2": 0}, True),
    ("PHQ-9 item 2 (feeling down) at 3", {"phq9_1": 0, "phq9_2": 3}, True),
    ("low mood without any concern stated", {"phq9_2": 2, "concerns": []}, True),
    ("low mood with an unrelated concern", {"phq9_1": 1, "concerns": ["adhd"]}, True),
    ("depression stated", {"concerns": ["depression"]}, True),
    ("bipolar stated", {"concerns": ["bipolar"], "phq9_1": 0, "phq9_2": 0}, True),
    ("no low mood, unrelated concern", {"phq9_1": 0, "phq9_2": 0, "concerns": ["adhd"]}, False),
    ("PHQ-9 not answered yet, no concern", {}, False),
    ("only other PHQ-9 items raised", {"phq9_1": 0, "phq9_2": 0, "phq9_3": 3, "phq9_4": 3},
     False),
]  # fmt: skip


@pytest.mark.parametrize(("label", "answers", "shown"), MDQ_SHOWN, ids=[c[0] for c in MDQ_SHOWN])
def test_mdq_is_asked_of_everyone_reporting_low_mood(
    label: str, answers: dict[str, Any], shown: bool
) -> None:
    keys = shown_keys(EXPERIENCES, answers)
    assert ({"mdq_1", "mdq_13", "mdq_same_period", "mdq_problem"} <= keys) is shown, label
    assert ("mdq_1" in keys) is shown, label


def test_phq9_is_asked_before_the_page_that_decides_on_mdq() -> None:
    names = [p.name for p in PAGES]
    assert names.index("mood") < names.index("experiences")


# (condition, answers, holds): conditions read as FHIR R4 reads enableWhen.
CONDITIONS = [
    (("asq_4", "=", "yes"), {"asq_4": "yes"}, True),
    (("asq_4", "=", "yes"), {"asq_4": "no"}, False),
    (("asq_4", "=", "yes"), {}, False),
    (("auditc_1", "!=", 0), {}, True),  # no answer is "not 0"
    (("auditc_1", "!=", 0), {"auditc_1": 0}, False),
    (("auditc_1", "!=", 0), {"auditc_1": False}, True),  # False is not the answer 0
    (("auditc_1", ">=", 1), {"auditc_1": 1}, True),
    (("auditc_1", ">=", 1), {"auditc_1": True}, False),  # True is not 1
    (("auditc_1", ">=", 1), {"auditc_1": 1.0}, False),
    (("drug_times", ">=", 1), {"drug_times": 0}, False),
    (("drug_times", ">=", 1), {"drug_times": 40}, True),
    (("concerns", "=", "eating"), {"concerns": ["adhd", "eating"]}, True),
    (("concerns", "=", "eating"), {"concerns": []}, False),
    (("concerns", "=", "eating"), {"concerns": "eating"}, False),  # not a list: no answer
]  # fmt: skip


@pytest.mark.parametrize(("condition", "answers", "holds"), CONDITIONS)
def test_conditions_read_as_fhir_reads_them(
    condition: questionnaire.Condition, answers: dict[str, Any], holds: bool
) -> None:
    assert questionnaire.holds(condition, answers) is holds


def test_every_question_is_contract_vocabulary_and_offers_only_valid_answers() -> None:
    for key, question in questionnaire.QUESTIONS.items():
        assert key in VOCABULARY, key
        for value, _label in question.options:
            assert check_value(key, [value] if question.kind == "choices" else value) is None, (
                key,
                value,
            )


def test_the_practice_options_cover_the_vocabulary() -> None:
    assert {code for code, _ in questionnaire.STATE_OPTIONS} == STATES
    assert {code for code, _ in questionnaire.CONCERN_OPTIONS} == set(CONCERNS)
    assert {code for code, _ in questionnaire.SEX_OPTIONS} == set(VOCABULARY["sex"].values)


def test_required_answers_are_derived_from_the_definition() -> None:
    assert questionnaire.REQUIRED_ALWAYS == (
        "state", "asq_1", "asq_2", "asq_3", "asq_4", "safe_now", "phq9_9",
    )  # fmt: skip
    assert questionnaire.REQUIRED_WHEN_SHOWN == ("asq_4_when", "asq_5")
    assert questionnaire.missing_required({}) == list(questionnaire.REQUIRED_ALWAYS)
    positive = {k: "no" for k in ("asq_1", "asq_2", "asq_3")} | {"asq_4": "yes"}
    assert questionnaire.missing_required(positive) == [
        "state", "asq_4_when", "asq_5", "safe_now", "phq9_9",
    ]  # fmt: skip
