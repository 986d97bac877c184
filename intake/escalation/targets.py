"""The response-time targets that escalation enforces, read from the rules file's [targets].

What the patient is promised and what the deadline check enforces are one fact, written once in
intake/triage/rules.toml; config holds only deployment facts (business hours, time zone). So:

- an unacknowledged crisis escalates at `targets.crisis.acknowledge_within` (level 1: the
  backup and the clinical director) and again at `targets.crisis.first_contact` (level 2: the
  on-call clinician and every coordinator too), when the promised first outreach is due;
- an offer of urgency U must be accepted within `targets.U.first_contact` (business days are
  counted in business hours); a crisis has no accept deadline (it has its own protocol).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from intake.escalation.hours import BusinessCalendar, add_business_days
from intake.triage import Ruleset, default_ruleset
from intake.triage.model import Duration, Target

_CLOCK_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


def seconds(duration: Duration) -> int:
    """A clock duration (minutes, hours, days) in seconds; ValueError for business days."""
    if duration.unit not in _CLOCK_UNITS:
        raise ValueError(f"{duration} is not a clock duration")
    return duration.amount * _CLOCK_UNITS[duration.unit]


def escalation_steps(crisis: Target) -> tuple[int, ...]:
    """Ages (seconds) at which an unacknowledged crisis alert escalates, one level each.

    (acknowledge_within, first_contact); ValueError unless both are set and increasing.
    """
    if crisis.acknowledge_within is None:
        raise ValueError("targets.crisis.acknowledge_within is needed for escalation")
    steps = (seconds(crisis.acknowledge_within), seconds(crisis.first_contact))
    if not 0 < steps[0] < steps[1]:
        raise ValueError("targets.crisis: acknowledge_within must come before first_contact")
    return steps


def crisis_escalation_seconds(ruleset: Ruleset | None = None) -> tuple[int, ...]:
    """The escalation steps of the rules in force (the shipped rules by default)."""
    return escalation_steps((ruleset or default_ruleset()).targets["crisis"])


def acknowledge_minutes(ruleset: Ruleset | None = None) -> int:
    """Minutes until an unacknowledged crisis alert escalates (the first step), at least 1."""
    return max(1, crisis_escalation_seconds(ruleset)[0] // 60)


def unfinished_alert_seconds(ruleset: Ruleset | None = None) -> int:
    """Age (seconds) at which a draft with crisis words, left unsubmitted, alerts coordinators."""
    after = (ruleset or default_ruleset()).targets["urgent"].unfinished_alert_after
    if after is None:
        raise ValueError("targets.urgent.unfinished_alert_after is needed for the alert")
    return seconds(after)


def accept_deadline(
    urgency: str | None, start: datetime, cal: BusinessCalendar, ruleset: Ruleset | None = None
) -> datetime | None:
    """When an offer of this urgency made at `start` must be accepted; None for crisis."""
    if urgency == "crisis":
        return None
    target = (ruleset or default_ruleset()).targets.get(urgency or "")
    if target is None:
        return None
    contact = target.first_contact
    if contact.unit == "business_days":
        return add_business_days(start, contact.amount, cal)
    return start + timedelta(seconds=seconds(contact))
