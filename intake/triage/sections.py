"""How the engine applies each section of rules: one function per section, two implementations.

`interpreted` loops over the rules and calls each rule's condition closure (conditions.py): the
plain reading of the rules, kept as the reference. `codegen.compiled` translates the same rules
into one Python function per section, which is what `triage` runs; tests check that the two
give the same decisions. Both follow the same order and semantics:

- urgency: every rule is tried (the fallback only when none fired); the most urgent wins.
- raise: each matching rule moves urgency up by `by` levels, never past `max`, never down.
- service line: the first matching rule gives the line (steps 1-4), or None.
- flags: every matching rule adds its flags.
- modality: the first matching rule decides; none -> "either".

Each matching rule adds its flags to `f.flags` and its reason to `reasons` as it fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .model import FROM_PREFERENCE, Facts, Reason, Rule
from .vocabulary import URGENCIES

RANK = {u: i for i, u in enumerate(URGENCIES)}  # 0 = crisis (most urgent)
PREFERENCES = ("in_person", "virtual")  # modality_preference values taken as they are

Apply = Callable[[Facts, list[Reason]], None]


@dataclass(frozen=True, slots=True)
class Sections:
    """The five rule sections of a ruleset, each ready to apply to one intake's facts."""

    urgency: Apply  # sets f.urgency
    raises: Apply  # may change f.urgency
    line: Callable[[Facts, list[Reason]], str | None]  # steps 1-4; None: the engine goes on
    flags: Apply
    modality: Callable[[Facts, list[Reason]], str]
    source: str = ""  # the generated Python, when compiled (for review and tracebacks)


def interpreted(
    urgency_rules: tuple[Rule, ...],
    raise_rules: tuple[Rule, ...],
    line_rules: tuple[Rule, ...],
    flag_rules: tuple[Rule, ...],
    modality_rules: tuple[Rule, ...],
) -> Sections:
    """The reference: each section a loop over its rules' condition closures."""

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

    return Sections(urgency, raises, line, flags, modality)
