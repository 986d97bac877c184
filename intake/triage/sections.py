"""How the engine applies the sections of rules to one intake: two implementations.

`interpreted` loops over the rules and calls each rule's condition object (conditions.py): the
plain reading of the rules, kept as the reference. `codegen.compiled` has the same condition
objects write themselves as Python and joins them into one function, which is what `triage`
runs; tests check that the two give the same decisions. Both apply the sections in this
order, with these semantics:

- urgency: every rule is tried (the fallback only when none fired); the most urgent wins.
- raise: each matching rule moves urgency up by `by` levels, never past `max`, never down.
- service line: the first matching rule gives the line (steps 1-4); when none matches, the
  engine's own steps 5-7 (stated concerns, precedence, fallback: tables, not rules) decide.
- flags: every matching rule adds its flags.
- modality: the first matching rule decides; none -> "either".

Each matching rule adds its flags to `f.flags` and its reason to `reasons` as it fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .model import FROM_PREFERENCE, Facts, Reason, Rule
from .vocabulary import URGENCIES

RANK = {u: i for i, u in enumerate(URGENCIES)}  # 0 = crisis (most urgent)
PREFERENCES = ("in_person", "virtual")  # modality_preference values taken as they are

# The service line's steps 5-7, called as later_steps(ruleset, facts, reasons) -> line.
LaterSteps = Callable[[Any, Facts, list[Reason]], str]


@dataclass(frozen=True, slots=True)
class Sections:
    """A ruleset's sections, ready to apply to one intake's facts.

    `apply(f, reasons, later_steps, ruleset)` sets f.urgency, f.line and f.flags, appends the
    reason of every rule that fires, and returns the modality.
    """

    apply: Callable[[Facts, list[Reason], LaterSteps, Any], str]
    source: str = ""  # the generated Python, when compiled (for review and tracebacks)


def interpreted(
    urgency_rules: tuple[Rule, ...],
    raise_rules: tuple[Rule, ...],
    line_rules: tuple[Rule, ...],
    flag_rules: tuple[Rule, ...],
    modality_rules: tuple[Rule, ...],
) -> Sections:
    """The reference: each section a loop over its rules' condition objects."""

    def urgency(f: Facts, reasons: list[Reason]) -> None:
        level = len(URGENCIES)  # below routine until a rule fires
        for rule in urgency_rules:
            if rule.fallback and level < len(URGENCIES):  # "anything else": only when none fired
                continue
            if rule.when(f):
                assert rule.urgency is not None  # noqa: S101 - the loader guarantees it
                level = min(level, RANK[rule.urgency])
                f.flags.update(rule.flags)
                reasons.append(rule.why)
        f.urgency = URGENCIES[min(level, len(URGENCIES) - 1)]

    def raises(f: Facts, reasons: list[Reason]) -> None:
        for rule in raise_rules:
            if rule.when(f):
                assert rule.raise_max is not None and f.urgency is not None  # noqa: S101
                cap = RANK[rule.raise_max]
                current = RANK[f.urgency]
                if current > cap:  # only ever more urgent, and never past the cap
                    f.urgency = URGENCIES[max(current - rule.raise_by, cap)]
                f.flags.update(rule.flags)
                reasons.append(rule.why)

    def line(f: Facts, reasons: list[Reason]) -> str | None:
        for rule in line_rules:
            if rule.when(f):
                f.flags.update(rule.flags)
                reasons.append(rule.why)
                return rule.line
        return None

    def flags(f: Facts, reasons: list[Reason]) -> None:
        for rule in flag_rules:
            if rule.when(f):
                f.flags.update(rule.flags)
                reasons.append(rule.why)

    def modality(f: Facts, reasons: list[Reason]) -> str:
        for rule in modality_rules:
            if rule.when(f):
                chosen = rule.modality or "either"
                if chosen == FROM_PREFERENCE:
                    pref = f.answers.get("modality_preference")
                    chosen = pref if pref in PREFERENCES else "either"
                reasons.append(rule.why)
                return chosen
        return "either"

    def apply(f: Facts, reasons: list[Reason], later_steps: LaterSteps, ruleset: Any) -> str:
        urgency(f, reasons)
        raises(f, reasons)
        chosen = line(f, reasons)
        f.line = chosen if chosen is not None else later_steps(ruleset, f, reasons)
        flags(f, reasons)
        return modality(f, reasons)

    return Sections(apply)
