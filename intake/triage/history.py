"""Crisis answers remembered: once given, a crisis answer is never lowered by a later change.

clinical-rules.md 3: an intake that ever held a crisis answer is submitted as crisis, even if the
person later changed the answer; the reasons say which answer raised it and that it was
changed; only a staff override with a reason lowers it. A record is what a crisis rule read
when it fired: `{"rule": "C4", "answers": {"safe_now": "no"}}` (the caller adds when).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .engine import decide
from .model import Decision, Reason
from .ruleset import Ruleset


def answer_keys(condition: object) -> frozenset[str]:
    """Every answer key a declarative condition reads (`{key = ...}` anywhere inside it)."""
    found: set[str] = set()
    stack = [condition]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("key"), str):
                found.add(node["key"])
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return frozenset(found)


def crisis_records(
    decision: Decision, answers: Mapping[str, Any], rs: Ruleset
) -> list[dict[str, Any]]:
    """One record per crisis rule this decision fired: the rule and the answers it read."""
    fired = {r.rule for r in decision.reasons}
    return [
        {
            "rule": r.id,
            "answers": {k: answers[k] for k in sorted(answer_keys(r.condition)) if k in answers},
        }
        for r in rs.urgency_rules
        if r.id in fired and r.id in rs.crisis_rule_ids
    ]


def changed_answers(
    answers: Mapping[str, Any], history: Iterable[Mapping[str, Any]]
) -> list[tuple[str, str, Any, Any]]:
    """(rule, key, crisis-time value, value now) for each remembered answer that changed."""
    out: list[tuple[str, str, Any, Any]] = []
    seen: set[tuple[str, str]] = set()
    for record in history:
        rule = str(record.get("rule"))
        for key, then in (record.get("answers") or {}).items():
            now = answers.get(key)
            if now != then and (rule, key) not in seen:
                seen.add((rule, key))
                out.append((rule, key, then, now))
    return out


def decide_with_history(
    answers: Mapping[str, Any], history: Iterable[Mapping[str, Any]], rs: Ruleset
) -> Decision:
    """`decide`, with every crisis answer the person ever gave kept as the floor.

    When a remembered crisis answer was changed and the answers now would not be a crisis,
    the decision is made on the answers with the remembered ones put back (the higher-risk
    answer decides, as for answers that disagree), so urgency, modality and reasons all follow
    from the crisis rule that fired. Either way a reason says which answer changed.
    """
    history = list(history)
    decision = decide(answers, rs)
    changes = changed_answers(answers, history)
    if not changes:
        return decision
    if decision.urgency != "crisis":
        overlay = dict(answers)
        for record in history:
            overlay.update(record.get("answers") or {})
        decision = decide(overlay, rs)
        if decision.urgency != "crisis":  # remembered under rules that have changed since
            decision = decision._replace(urgency="crisis", modality="emergency")
    text = "; ".join(
        f"{rule}: {key} was {then!r}, now {'not answered' if now is None else repr(now)}"
        for rule, key, then, now in changes
    )
    held = Reason(rs.crisis_history.id, rs.crisis_history.reason.format(changes=text))
    return decision._replace(reasons=(*decision.reasons, held))
