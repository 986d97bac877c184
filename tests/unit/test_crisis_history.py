"""A crisis answer, once given, is the floor: a later change never lowers the urgency."""

from __future__ import annotations

from typing import Any

import pytest

from intake.triage import crisis_records, default_ruleset, triage, triage_with_history

CALM = {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no", "safe_now": "yes"}


def history_of(answers: dict[str, Any]) -> list[dict[str, Any]]:
    return crisis_records(triage(answers), answers, default_ruleset())


@pytest.mark.parametrize(
    ("then", "now", "rule"),
    [
        ({"safe_now": "no"}, {"safe_now": "yes"}, "C4"),
        ({"asq_1": "yes", "asq_5": "yes"}, {"asq_1": "no"}, "C1"),
        ({"asq_2": "yes", "asq_5": "refused"}, {"asq_2": "no"}, "C2"),
        ({"asq_4": "yes", "asq_4_when": "past_3_months"}, {"asq_4": "no"}, "C3"),
        ({"harm_others": "yes", "harm_others_intent": "yes"}, {"harm_others": "no"}, "C5"),
        ({"scoff_1": "yes", "ed_red_flags_today": "yes"}, {"ed_red_flags_today": "no"}, "C6"),
    ],
)
def test_a_changed_crisis_answer_keeps_the_crisis(
    then: dict[str, str], now: dict[str, str], rule: str
) -> None:
    history = history_of({**CALM, **then})
    assert [r["rule"] for r in history] == [rule]
    answers = {k: v for k, v in {**CALM, **then, **now}.items() if k not in ("asq_5",)}
    assert triage(answers).urgency != "crisis"  # the answers alone would lower it
    decision = triage_with_history(answers, history)
    assert decision.urgency == "crisis" and decision.modality == "emergency"
    rules = [r.rule for r in decision.reasons]
    assert rule in rules and rules[-1] == default_ruleset().crisis_history.id
    assert "later changed" in decision.reasons[-1].text


def test_no_history_or_no_change_is_the_plain_decision() -> None:
    answers = {**CALM, "safe_now": "no"}
    assert triage_with_history(answers, []) == triage(answers)
    assert triage_with_history(answers, history_of(answers)) == triage(answers)


def test_a_record_from_rules_that_changed_still_keeps_the_crisis() -> None:
    """A record whose rule no longer fires on its answers still holds urgency at crisis."""
    decision = triage_with_history(CALM, [{"rule": "C9", "answers": {"old_key": "yes"}}])
    assert decision.urgency == "crisis" and decision.modality == "emergency"
