"""Escalation and accept deadlines come from the rules file's [targets], the patient's promise."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from intake.escalation import hours, targets
from intake.triage import default_ruleset
from intake.triage.model import Duration

CAL = hours.calendar("09:00-17:00", "Mon-Fri", "America/New_York")
MONDAY_NOON_NY = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)  # 12:00 in New York


def test_crisis_escalates_at_the_acknowledge_and_first_contact_targets() -> None:
    crisis = default_ruleset().targets["crisis"]
    assert crisis.acknowledge_within is not None
    steps = targets.crisis_escalation_seconds()
    assert steps == (
        targets.seconds(crisis.acknowledge_within),
        targets.seconds(crisis.first_contact),
    )
    assert steps == (900, 1800)  # today's file: 15 and 30 minutes
    assert targets.acknowledge_minutes() == 15


@pytest.mark.parametrize(
    ("acknowledge", "contact"),
    [
        (Duration(30, "minutes"), Duration(15, "minutes")),  # escalation steps out of order
        (Duration(30, "minutes"), Duration(30, "minutes")),
        (None, Duration(30, "minutes")),  # nothing to acknowledge by
        (Duration(15, "minutes"), Duration(1, "business_days")),  # not a clock duration
    ],
)
def test_unusable_crisis_targets_are_refused(
    acknowledge: Duration | None, contact: Duration
) -> None:
    crisis = replace(
        default_ruleset().targets["crisis"], acknowledge_within=acknowledge, first_contact=contact
    )
    with pytest.raises(ValueError):
        targets.escalation_steps(crisis)


@pytest.mark.parametrize("urgency", ["urgent", "soon", "routine"])
def test_accept_deadline_is_the_first_contact_target_in_business_days(urgency: str) -> None:
    contact = default_ruleset().targets[urgency].first_contact
    assert contact.unit == "business_days"
    expected = hours.add_business_days(MONDAY_NOON_NY, contact.amount, CAL)
    assert targets.accept_deadline(urgency, MONDAY_NOON_NY, CAL) == expected


def test_accept_deadlines_are_today_s_one_two_three_business_days() -> None:
    by_urgency = {
        u: targets.accept_deadline(u, MONDAY_NOON_NY, CAL) for u in ("urgent", "soon", "routine")
    }
    assert {u: (d - MONDAY_NOON_NY).days for u, d in by_urgency.items() if d} == {
        "urgent": 1,
        "soon": 2,
        "routine": 3,
    }


def test_crisis_and_unknown_urgencies_have_no_accept_deadline() -> None:
    assert targets.accept_deadline("crisis", MONDAY_NOON_NY, CAL) is None
    assert targets.accept_deadline(None, MONDAY_NOON_NY, CAL) is None
    assert targets.accept_deadline("later", MONDAY_NOON_NY, CAL) is None


def test_an_unfinished_form_with_crisis_words_alerts_after_the_urgent_target() -> None:
    """The hour of clinical-rules.md 6 is a rules-file target, not a deployment setting."""
    assert targets.unfinished_alert_seconds() == 3600
    urgent = replace(default_ruleset().targets["urgent"], unfinished_alert_after=None)
    rules = replace(default_ruleset(), targets={**default_ruleset().targets, "urgent": urgent})
    with pytest.raises(ValueError, match="unfinished_alert_after"):
        targets.unfinished_alert_seconds(rules)
