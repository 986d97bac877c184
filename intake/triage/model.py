"""The triage core's data: the decision it returns, the facts rules read, and loaded rules."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from intake.screening import Score

FROM_PREFERENCE = "from_preference"  # a modality rule's value: the person's stated preference


class RulesetError(ValueError):
    """A rules file is unreadable or invalid; the message names file, rule and problem."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that fired: its id and a plain-language reason for coordinators."""

    rule: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "text": self.text}


class Decision(NamedTuple):
    """What triage returns: exactly the contract's decision fields (shared/contract.md).

    Immutable. A NamedTuple rather than a frozen dataclass for the same reason as `Score`: one
    is built per decision, and a frozen dataclass costs several times as much to construct.
    """

    urgency: str
    service_line: str
    secondary_lines: tuple[str, ...]
    modality: str
    flags: frozenset[str]
    scores: Mapping[str, Score]
    reasons: tuple[Reason, ...]
    ruleset_version: str

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON: flags sorted, scores as {score, band, positive} per prefix."""
        scores: dict[str, dict[str, Any]] = {}
        for prefix, s in self.scores.items():
            if prefix == "ecrrs":
                scores[prefix] = {
                    "avoidance": s.extra.get("avoidance"),
                    "anxiety": s.extra.get("anxiety"),
                    "band": s.band,
                    "positive": s.positive,
                }
            else:
                scores[prefix] = {"score": s.score, "band": s.band, "positive": s.positive}
        return {
            "urgency": self.urgency,
            "service_line": self.service_line,
            "secondary_lines": list(self.secondary_lines),
            "modality": self.modality,
            "flags": sorted(self.flags),
            "scores": scores,
            "reasons": [r.to_dict() for r in self.reasons],
            "ruleset_version": self.ruleset_version,
        }


@dataclass(slots=True)
class Facts:
    """Everything a rule condition may read for one intake (built once per triage call)."""

    answers: Mapping[str, Any]
    scores: Mapping[str, Score]
    domains: Mapping[str, bool | None]
    concerns: tuple[str, ...]
    crisis_text: bool
    any_positive: bool  # some domain is True (service-line steps 5-6 and secondary lines need one)
    flags: set[str] = field(default_factory=set)
    urgency: str | None = None
    line: str | None = None


class Emit(Protocol):
    """What a condition needs to write itself as Python (codegen's emitter)."""

    def const(self, value: object) -> str:
        """A literal for `value`, or the name of a constant bound in the generated code."""
        ...


class Condition(Protocol):
    """A rule's parsed condition (conditions.py): evaluates itself and writes its own source.

    `condition(facts)` is the interpreted reading; `condition.source(emit)` is one Python
    expression that means the same, for the generated sections (codegen.py).
    """

    def __call__(self, f: Facts) -> bool: ...

    def source(self, e: Emit) -> str: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """A loaded rule: its condition is parsed once, at load time, into a `Condition`."""

    id: str
    section: str
    when: Condition
    reason: str
    condition: Mapping[str, Any]  # the declarative source, for the staff rules page
    urgency: str | None = None
    line: str | None = None
    modality: str | None = None
    flags: frozenset[str] = frozenset()
    raise_by: int = 0
    raise_max: str | None = None
    fallback: bool = False
    # What the app does when this rule fires on a saved step (loader.MARKS): the rules file
    # marks the rules, so no rule id is written in the app's code.
    marks: frozenset[str] = frozenset()
    why: Reason = field(init=False)  # built once: the Reason a decision lists when this fires

    def __post_init__(self) -> None:
        object.__setattr__(self, "why", Reason(self.id, self.reason))


@dataclass(frozen=True, slots=True)
class Duration:
    amount: int
    unit: str  # minutes | hours | business_days | days

    def __str__(self) -> str:
        label = self.unit.replace("_", " ")
        return f"{self.amount} {label[:-1] if self.amount == 1 else label}"

    def to_dict(self) -> dict[str, Any]:
        return {"amount": self.amount, "unit": self.unit}


@dataclass(frozen=True, slots=True)
class Target:
    """Response-time targets for one urgency, with the patient-facing "what happens next"."""

    urgency: str
    first_contact: Duration
    first_visit: Duration | None
    patient_text: str
    staff_text: str
    alert_within: Duration | None = None
    acknowledge_within: Duration | None = None
    # A draft at this urgency, left unsubmitted this long, alerts the coordinators (U4 words).
    unfinished_alert_after: Duration | None = None

    def __str__(self) -> str:
        return self.patient_text

    def to_dict(self) -> dict[str, Any]:
        return {
            "urgency": self.urgency,
            "first_contact": self.first_contact.to_dict(),
            "first_visit": self.first_visit.to_dict() if self.first_visit else None,
            "alert_within": self.alert_within.to_dict() if self.alert_within else None,
            "acknowledge_within": (
                self.acknowledge_within.to_dict() if self.acknowledge_within else None
            ),
            "patient_text": self.patient_text,
            "staff_text": self.staff_text,
        }
