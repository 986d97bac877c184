"""What every rules file must keep (clinical-rules.md 3), checked when a rules file is loaded.

The rules file is practice configuration, but the app depends on parts of it that no practice may
drop: the crisis rules C1-C6, each still setting `crisis` for the answer it is about; the marks
that tell the form which rules show the support panel and which the medical emergency screen;
the crisis words acting on free text; and the flags that hold an intake for a coordinator. A
file without them is refused (RulesetError naming the rule or table), so `flask rules check`
refuses it before it is put in force.

The meaning of each floor rule is checked as far as a probe can show it: each is given the
answers it is about and must fire and decide `crisis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .model import Decision, RulesetError
from .ruleset import Ruleset

# The crisis floor: each rule id, and answers that rule exists for (it must fire on them).
CRISIS_FLOOR: Mapping[str, Mapping[str, Any]] = {
    "C1": {"asq_1": "yes", "asq_5": "yes"},
    "C2": {"asq_1": "yes", "asq_5": "refused"},
    "C3": {"asq_4": "yes", "asq_4_when": "past_3_months", "asq_5": "no"},
    "C4": {"safe_now": "no"},
    "C5": {"harm_others": "yes", "harm_others_intent": "yes"},
    "C6": {"ed_red_flags_today": "yes"},
}
MEDICAL_FLOOR = frozenset({"C6"})  # floor rules the crisis screen shows as a medical emergency
# Flags that must hold an intake for a coordinator: the minor pathway, and couples work with
# the partner-violence screen unanswered (no joint session before someone has asked privately).
HOLD_FLOOR = frozenset({"minor", "pvs_unknown"})
MARKS = ("crisis_floor", "support_panel", "medical_emergency")  # [[urgency]] rule attributes

Decide = Callable[[Mapping[str, Any], Ruleset], Decision]


def check(rs: Ruleset, decide: Decide) -> None:
    """Refuse a ruleset without the floor; RulesetError names the file, rule and problem."""

    def err(where: str, problem: str) -> RulesetError:
        return RulesetError(f"{rs.path}: {where}: {problem}")

    rules = {r.id: r for r in rs.urgency_rules}
    for rule_id, probe in CRISIS_FLOOR.items():
        rule = rules.get(rule_id)
        if rule is None:
            raise err(
                f"rule {rule_id}",
                "missing: the crisis floor (C1-C6) must stay in [[urgency]]; a rules file "
                "without it is refused",
            )
        if rule.urgency != "crisis" or "crisis_floor" not in rule.marks:
            raise err(f"rule {rule_id}", 'needs urgency = "crisis" and crisis_floor = true')
        d = decide(probe, rs)
        if d.urgency != "crisis" or rule_id not in {r.rule for r in d.reasons}:
            shown = ", ".join(f"{k} = {v}" for k, v in probe.items())
            raise err(f"rule {rule_id}", f"no longer decides crisis for {shown}")
    for rule_id in MEDICAL_FLOOR:
        if "medical_emergency" not in rules[rule_id].marks:
            raise err(f"rule {rule_id}", "needs medical_emergency = true (911 / ER screen)")
    if not rs.support_rule_ids:
        raise err("[[urgency]]", "no rule has support_panel = true (the form's support panel)")
    for word in rs.crisis_words:
        d = decide({"free_text": f"... {word} ..."}, rs)
        if "crisis_text" not in d.flags or d.urgency not in ("crisis", "urgent"):
            raise err(
                "word list crisis_words",
                f"{word!r} does not make free text urgent with flag crisis_text (needs an "
                '[[urgency]] rule with { text_matches = "crisis_words" } and that flag)',
            )
    missing = HOLD_FLOOR - rs.hold_flags
    if missing:
        raise err("hold_flags", f"must include {', '.join(sorted(missing))}")
