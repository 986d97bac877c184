"""Loading the plain tables of a rules file: cutoffs, word lists, response-time targets.

Also the error context shared with loader.py, which names the file, the rule or table, and the
problem in every RulesetError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from intake.screening import Cutoffs

from .model import Duration, RulesetError, Target
from .vocabulary import URGENCIES

_UNITS = ("minutes", "hours", "business_days", "days")


class Ctx:
    def __init__(self, path: str) -> None:
        self.path = path
        self.ids: set[str] = set()
        self.word_lists: frozenset[str] = frozenset()

    def err(self, where: str, problem: str) -> RulesetError:
        return RulesetError(f"{self.path}: {where}: {problem}")

    def claim(self, rule_id: object, section: str) -> str:
        if not isinstance(rule_id, str) or not rule_id:
            raise self.err(f"a rule in [{section}]", "missing or non-string 'id'")
        if rule_id in self.ids:
            raise self.err(f"rule {rule_id}", "duplicate rule id")
        self.ids.add(rule_id)
        return rule_id


def text_field(ctx: Ctx, where: str, table: Mapping[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ctx.err(where, f"'{key}' must be a non-empty string")
    return value


def one_of(ctx: Ctx, where: str, value: object, allowed: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ctx.err(where, f"unknown {what} {value!r} (allowed: {', '.join(allowed)})")
    return value


def cutoffs_table(ctx: Ctx, raw: object) -> Cutoffs:
    if not isinstance(raw, Mapping):
        raise ctx.err("[cutoffs]", "must be a table")
    known = {f.name: f.type for f in fields(Cutoffs)}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known:
            raise ctx.err(f"cutoff {name}", "unknown cutoff name")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.err(f"cutoff {name}", f"must be a number, got {value!r}")
        if known[name] == "int" and type(value) is not int:
            raise ctx.err(f"cutoff {name}", f"must be a whole number, got {value!r}")
        if value < 0:
            raise ctx.err(f"cutoff {name}", "must not be negative")
        values[name] = value
    return Cutoffs(**values)


def word_lists(ctx: Ctx, raw: object) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping) or "crisis_words" not in raw:
        raise ctx.err("[word_lists]", "needs a 'crisis_words' list")
    out: dict[str, tuple[str, ...]] = {}
    for name, words in raw.items():
        if not isinstance(words, list) or not words:
            raise ctx.err(f"word list {name}", "must be a non-empty list of strings")
        for w in words:
            if not isinstance(w, str) or not w.strip():
                raise ctx.err(f"word list {name}", f"{w!r} is not a non-empty string")
        out[name] = tuple(w.strip().lower() for w in words)
    return out


def phrase_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One whole-word pattern for all phrases, for lower-cased text (compiled once per ruleset).

    Search `text.lower()` (Ruleset.crisis_text does): with the phrases lower-cased at load, that
    is case-insensitive and about twice as fast as re.IGNORECASE. Runs of spaces match any
    whitespace; an apostrophe matches a straight or curly one, or none ("dont"). The phrases are
    merged into a prefix tree so the scan fails fast at each position (about twice as fast as a
    flat alternation).
    """
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in " ".join(w.split()):
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(r"(?<!\w)" + _trie_regex(trie) + r"(?!\w)")


def _trie_regex(node: dict[str, Any]) -> str:
    alternatives = []
    for ch, child in sorted(node.items()):
        if ch:
            atom = r"\s+" if ch == " " else "['\u2019]?" if ch == "'" else re.escape(ch)
            alternatives.append(atom + _trie_regex(child))
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"(?:{body})?" if "" in node else body


def _duration(ctx: Ctx, where: str, raw: object) -> Duration:
    if not isinstance(raw, Mapping) or set(raw) != {"amount", "unit"}:
        raise ctx.err(where, 'must be {amount = <whole number>, unit = "..."}')
    amount, unit = raw["amount"], raw["unit"]
    if type(amount) is not int or amount < 0:
        raise ctx.err(where, f"amount must be a whole number, got {amount!r}")
    return Duration(amount, one_of(ctx, where, unit, _UNITS, "unit"))


def targets_table(ctx: Ctx, raw: object) -> dict[str, Target]:
    if not isinstance(raw, Mapping):
        raise ctx.err("[targets]", "must be a table")
    out: dict[str, Target] = {}
    for urgency in URGENCIES:
        t = raw.get(urgency)
        where = f"targets.{urgency}"
        if not isinstance(t, Mapping):
            raise ctx.err(where, "missing")
        allowed = {"first_contact", "first_visit", "alert_within", "acknowledge_within",
                   "unfinished_alert_after", "patient_text", "staff_text"}  # fmt: skip
        if set(t) - allowed:
            raise ctx.err(where, f"unknown field(s) {sorted(set(t) - allowed)}")
        opt = {k: _duration(ctx, f"{where}.{k}", t[k]) if k in t else None
               for k in ("first_visit", "alert_within", "acknowledge_within",
                         "unfinished_alert_after")}  # fmt: skip
        out[urgency] = Target(
            urgency,
            _duration(ctx, f"{where}.first_contact", t.get("first_contact")),
            patient_text=text_field(ctx, where, t, "patient_text"),
            staff_text=text_field(ctx, where, t, "staff_text"),
            **opt,
        )
    for extra in set(raw) - set(URGENCIES):
        raise ctx.err(f"targets.{extra}", "unknown urgency")
    return out
