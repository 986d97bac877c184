"""Rules compiled to Python: one function for all sections of rules.toml, built once per load.

The rules stay data; this is only how the engine runs them. Each condition (already validated by
conditions.py) becomes a Python expression that does exactly what its closure does, and the
sections become one function with the rules as consecutive `if` statements, so a decision costs
no call per condition and no loop over rule objects. Values from the rules file reach the code
as literals (strings, whole numbers, booleans) or as named constants, never as text to parse.
`sections.interpreted` is the plain reading of the same rules; tests check the two agree.
"""

from __future__ import annotations

import linecache
import re
from collections import Counter
from collections.abc import Mapping
from itertools import count
from typing import Any

from intake.screening import NOT_ASKED

from .conditions import UNANSWERED
from .model import FROM_PREFERENCE, Rule
from .sections import PREFERENCES, RANK, Sections
from .vocabulary import URGENCIES

# Names every section function binds first; expressions below read only these and constants.
_PROLOGUE = """\
    g = f.answers.get
    sc = f.scores
    dm = f.domains
    cs = f.concerns
    fl = f.flags
    add = reasons.append"""
_NUM = (int, float)
_serial = count(1)


class _Emitter:
    """Turns validated conditions into expressions; collects the constants they name."""

    def __init__(self) -> None:
        self.names: dict[str, object] = {
            "_NUM": _NUM,
            "_NOT_ASKED": NOT_ASKED,
            "_UNANSWERED": UNANSWERED,
        }

    def const(self, value: object) -> str:
        if value is None or type(value) in (str, int, bool):
            return repr(value)
        if type(value) is tuple and all(v is None or type(v) in (str, int, bool) for v in value):
            return repr(value)
        name = f"_k{len(self.names)}"
        self.names[name] = value
        return name

    def cond(self, c: Mapping[str, Any]) -> str:
        """The expression for one condition; mirrors conditions.compile_condition."""
        if "all" in c or "any" in c:
            op = "all" if "all" in c else "any"
            parts = [self.cond(p) for p in c[op]]
            joiner = " and " if op == "all" else " or "
            return parts[0] if len(parts) == 1 else "(" + joiner.join(parts) + ")"
        if "not" in c:
            return f"(not {self.cond(c['not'])})"
        if "key" in c:
            return self._key(c)
        if "score" in c:
            return self._score(c)
        ((op, value),) = c.items()
        return self._simple(op, value)

    def _simple(self, op: str, value: Any) -> str:
        k = self.const
        if op == "always":
            return "True"
        if op == "domain":
            return f"(dm[{k(value)}] is True)"
        if op == "domain_any":
            return "(" + " or ".join(f"dm[{k(d)}] is True" for d in value) + ")"
        if op == "flag":
            return f"({k(value)} in fl)"
        if op == "concern":
            return f"({k(value)} in cs)"
        if op == "concern_any":
            return f"(not {k(frozenset(value))}.isdisjoint(cs))"
        if op == "none_answered":
            return "(" + " and ".join(f"sc[{k(p)}] is _NOT_ASKED" for p in value) + ")"
        if op == "text_matches":
            return "f.crisis_text"
        if op == "urgency":
            return f"(f.urgency == {k(value)})"
        if op == "line":
            return f"(f.line == {k(value)})"
        raise ValueError(f"unknown operator {op!r}")  # the loader has rejected it already

    def _key(self, c: Mapping[str, Any]) -> str:
        key = self.const(c["key"])
        ((op, value),) = ((o, v) for o, v in c.items() if o != "key")
        if op == "answered":
            return f"(g({key}) not in _UNANSWERED)" if value else f"(g({key}) in _UNANSWERED)"
        if op == "eq" and isinstance(value, str):
            return f"(g({key}) == {self.const(value)})"
        if op == "in" and all(isinstance(v, str) for v in value):
            return f"(g({key}) in {self.const(tuple(value))})"
        return self._comparison(op, value, f"g({key})")

    def _score(self, c: Mapping[str, Any]) -> str:
        subject = f"sc[{self.const(c['score'])}]"
        ((op, value),) = ((o, v) for o, v in c.items() if o != "score")
        if op == "positive":
            return f"({subject}.positive is {value!r})"
        if op == "band":
            return f"({subject}.band == {self.const(value)})"
        if op == "in":
            return f"({subject}.band in {self.const(tuple(value))})"
        if op == "between":
            lo, hi = (self.const(v) for v in value)
            low, high = self._bound(subject, "low", "_l"), self._bound(subject, "high", "_h")
            both = f"(_l := {low}) is not None and (_h := {high}) is not None"
            return f"({both} and {lo} <= _l and _h <= {hi})"
        if op == "eq":
            return self._comparison(op, value, f"{subject}.score")
        side = "low" if op in ("gte", "gt") else "high"
        return self._comparison(op, value, self._bound(subject, side, "_b"))

    def _bound(self, subject: str, side: str, var: str) -> str:
        """conditions.bound: the total when known, else the bound of a partly answered scale."""
        return (
            f"({var} if ({var} := (_s := {subject}).score) is not None else _s.extra.get({side!r}))"
        )

    def _comparison(self, op: str, value: Any, get: str) -> str:
        v = self.const(value)
        if op == "eq":
            return f"((_v := {get}) == {v} and type(_v) is {self.const(type(value))})"
        if op == "ne":
            return f"((_v := {get}) is not None and _v != {v})"
        if op == "in":
            return f"((_v := {get}) in {self.const(tuple(value))} and type(_v) is not bool)"
        sign = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}[op]
        return f"(type(_v := {get}) in _NUM and _v {sign} {v})"


def _then(e: _Emitter, rule: Rule, *body: str) -> list[str]:
    """The statements run when a rule fires: section-specific `body`, flags, then the reason."""
    lines = [f"        {line}" for line in body]
    if rule.flags:
        lines.append(f"        fl.update({e.const(rule.flags)})")
    lines.append(f"        add({e.const(rule.why)})")
    return lines


_ANSWER = re.compile(r"\bg\(('\w+')\)")


def _hoist_answers(source: str) -> str:
    """Read each answer that several conditions test once, into a local, right after `g`."""
    counts = Counter(_ANSWER.findall(source))
    hoisted = [key for key, n in counts.items() if n > 1]
    if not hoisted:
        return source
    local = {key: f"_a{i}" for i, key in enumerate(hoisted)}
    body = _ANSWER.sub(lambda m: local.get(m.group(1), m.group(0)), source)
    reads = "".join(f"    {name} = g({key})\n" for key, name in local.items())
    first = "    g = f.answers.get\n"
    return body.replace(first, first + reads, 1)


def compiled(
    urgency_rules: tuple[Rule, ...],
    raise_rules: tuple[Rule, ...],
    line_rules: tuple[Rule, ...],
    flag_rules: tuple[Rule, ...],
    modality_rules: tuple[Rule, ...],
    path: str = "rules",
) -> Sections:
    """One generated function for all sections, with the semantics of `sections.interpreted`."""
    e = _Emitter()
    e.names.update(_URGENCIES=URGENCIES, _RANK=RANK)
    last = len(URGENCIES) - 1
    src = ["def apply(f, reasons, later_steps, ruleset):", _PROLOGUE]

    src += [
        "    # [[urgency]]: every rule is tried; the most urgent wins",
        f"    level = {last + 1}",
    ]
    for r in urgency_rules:
        assert r.urgency is not None  # noqa: S101 - the loader guarantees it
        test = e.cond(r.condition)
        if r.fallback:  # "anything else": only when no rule fired before it
            test = f"level == {last + 1} and {test}"
        rank = RANK[r.urgency]
        src += [f"    if {test}:", *_then(e, r, f"if {rank} < level: level = {rank}")]
    src.append(f"    f.urgency = _URGENCIES[level if level < {last} else {last}]")

    src.append("    # [[raise]]: more urgent by `by` levels, never past `max`")
    for r in raise_rules:
        assert r.raise_max is not None  # noqa: S101
        cap, by = RANK[r.raise_max], r.raise_by
        src += [
            f"    if {e.cond(r.condition)}:",
            *_then(
                e,
                r,
                "current = _RANK[f.urgency]",
                f"if current > {cap}:",
                f"    f.urgency = _URGENCIES[current - {by} if current - {by} > {cap} else {cap}]",
            ),
        ]

    src.append("    # [[line]]: the first rule that matches, else the engine's steps 5-7")
    for n, r in enumerate(line_rules):
        keyword = "elif" if n else "if"
        src += [
            f"    {keyword} {e.cond(r.condition)}:",
            *_then(e, r),
            f"        line = {e.const(r.line)}",
        ]
    if line_rules:
        src += ["    else:", "        line = later_steps(ruleset, f, reasons)"]
    else:
        src.append("    line = later_steps(ruleset, f, reasons)")
    src.append("    f.line = line")

    src.append("    # [[flags]]: every rule that matches adds its flags")
    for r in flag_rules:
        src += [f"    if {e.cond(r.condition)}:", *_then(e, r)]

    src.append("    # [[modality]]: the first rule that matches decides")
    for r in modality_rules:
        chosen = r.modality or "either"
        src += [f"    if {e.cond(r.condition)}:", *_then(e, r)]
        if chosen == FROM_PREFERENCE:
            src += [
                "        pref = g('modality_preference')",
                f"        return pref if pref in {e.const(PREFERENCES)} else 'either'",
            ]
        else:
            src.append(f"        return {e.const(chosen)}")
    src.append("    return 'either'")

    source = _hoist_answers("\n".join(src) + "\n")
    filename = f"<rules {path} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__builtins__": {"type": type, "bool": bool}, **e.names}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - see the module docstring
    return Sections(namespace["apply"], source)
