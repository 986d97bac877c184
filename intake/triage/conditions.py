"""The rule condition language: TOML tables parsed once into condition objects over `Facts`.

A condition is one inline table:

    {all = [c, ...]}   {any = [c, ...]}   {not = c}   {always = true}
    {key = "asq_5", eq = "yes"}          eq, ne, in, gte, gt, lte, lt, answered = true|false
                                         (an empty list or empty text is not an answer)
    {score = "phq9", gte = 15}           eq, gte, gt, lte, lt, between = [lo, hi],
                                         positive = true|false, band = "...", in = [bands]
    {domain = "DEP_SEV"}                 a domain flag of clinical-rules.md 2 is true
    {domain_any = ["DEP", "ANX"]}        any of them is true
    {flag = "ipv"}                       a decision flag set by an earlier rule
    {concern = "couples"}                stated by the person;  {concern_any = [...]}
    {none_answered = ["phq9", ...]}      none of these instruments has any answer
    {text_matches = "crisis_words"}      free_text contains a configured word or phrase
    {urgency = "crisis"}                 the urgency decided so far (not in urgency rules)
    {line = "adhd"}                      the primary service line (flags and modality only)

A missing or unknown answer never satisfies a comparison, so `not` of a comparison is true for
it: write conditions so that a missing answer errs toward the more urgent reading.

A score comparison on a partly answered scale (clinical-rules.md D2) is decided from the bounds
of its total when they settle it: `gte`/`gt` hold when the answered items' sum already reaches
the value (the lower bound), `lte`/`lt` when even every missing item at its maximum stays within
it (the upper bound), `between` when both bounds lie inside. `eq`, `band` and `in` need a known
total.

One engine, two ways to run it. Each condition class below says what it means twice, side by
side: `__call__(facts)` evaluates it (the reading `sections.interpreted` runs), and
`source(emit)` gives the same test as one Python expression (what `codegen.compiled` joins into
the function `triage` runs). The expression reads only the locals codegen's prologue binds
(`g` = answers.get, `sc` scores, `dm` domains, `cs` concerns, `fl` flags, `f` the facts) and
the constants `emit.const` names. Tests run both over generated answers and require the same
decisions (tests/unit/test_fast_paths.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening import NOT_ASKED, PREFIXES, Score

from .model import Condition, Emit, Facts, RulesetError
from .vocabulary import CONCERNS, DOMAINS, FLAGS, SERVICE_LINES, URGENCIES, VOCABULARY

_CMP = ("eq", "ne", "in", "gte", "gt", "lte", "lt")
_KEY_OPS = frozenset((*_CMP, "answered"))
_SCORE_OPS = frozenset(("eq", "gte", "gt", "lte", "lt", "between", "positive", "band", "in"))
_LATE_SECTIONS = {"line": ("flags", "modality"), "urgency": ("raise", "flags", "modality")}
_SIGN = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<"}
_NUM = (int, float)
UNANSWERED: tuple[object, ...] = (None, "", [], ())  # `answered = false` for these values


# --- combinators -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class All:
    parts: tuple[Condition, ...]

    def __call__(self, f: Facts) -> bool:
        for p in self.parts:
            if not p(f):
                return False
        return True

    def source(self, e: Emit) -> str:
        return "(" + " and ".join(p.source(e) for p in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def __call__(self, f: Facts) -> bool:
        for p in self.parts:
            if p(f):
                return True
        return False

    def source(self, e: Emit) -> str:
        return "(" + " or ".join(p.source(e) for p in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class Not:
    inner: Condition

    def __call__(self, f: Facts) -> bool:
        return not self.inner(f)

    def source(self, e: Emit) -> str:
        return f"(not {self.inner.source(e)})"


@dataclass(frozen=True, slots=True)
class Always:
    def __call__(self, f: Facts) -> bool:
        return True

    def source(self, e: Emit) -> str:
        return "True"


# --- the decision so far, domains, concerns -----------------------------------------------


@dataclass(frozen=True, slots=True)
class DomainIs:
    """Any of `domains` is True (one for `domain`, several for `domain_any`)."""

    domains: tuple[str, ...]

    def __call__(self, f: Facts) -> bool:
        for d in self.domains:
            if f.domains.get(d) is True:
                return True
        return False

    def source(self, e: Emit) -> str:
        return "(" + " or ".join(f"dm[{e.const(d)}] is True" for d in self.domains) + ")"


@dataclass(frozen=True, slots=True)
class HasFlag:
    name: str

    def __call__(self, f: Facts) -> bool:
        return self.name in f.flags

    def source(self, e: Emit) -> str:
        return f"({e.const(self.name)} in fl)"


@dataclass(frozen=True, slots=True)
class Stated:
    """Any of `concerns` was stated by the person (`concern`, `concern_any`)."""

    concerns: frozenset[str]

    def __call__(self, f: Facts) -> bool:
        return not self.concerns.isdisjoint(f.concerns)

    def source(self, e: Emit) -> str:
        if len(self.concerns) == 1:
            (c,) = self.concerns
            return f"({e.const(c)} in cs)"
        return f"(not {e.const(self.concerns)}.isdisjoint(cs))"


@dataclass(frozen=True, slots=True)
class NoneAnswered:
    prefixes: tuple[str, ...]

    def __call__(self, f: Facts) -> bool:
        for p in self.prefixes:
            if f.scores[p] is not NOT_ASKED:
                return False
        return True

    def source(self, e: Emit) -> str:
        tests = (f"sc[{e.const(p)}] is {e.const(NOT_ASKED)}" for p in self.prefixes)
        return "(" + " and ".join(tests) + ")"


@dataclass(frozen=True, slots=True)
class CrisisText:
    def __call__(self, f: Facts) -> bool:
        return f.crisis_text

    def source(self, e: Emit) -> str:
        return "f.crisis_text"


@dataclass(frozen=True, slots=True)
class DecidedIs:
    """The urgency (`field` "urgency") or service line ("line") decided so far equals `value`."""

    field: str
    value: str

    def __call__(self, f: Facts) -> bool:
        return bool((f.urgency if self.field == "urgency" else f.line) == self.value)

    def source(self, e: Emit) -> str:
        return f"(f.{self.field} == {e.const(self.value)})"


# --- answers -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Answered:
    """`answered = true|false`: the answer is (not) one of UNANSWERED."""

    key: str
    answered: bool

    def __call__(self, f: Facts) -> bool:
        return (f.answers.get(self.key) not in UNANSWERED) is self.answered

    def source(self, e: Emit) -> str:
        op = "not in" if self.answered else "in"
        return f"(g({e.const(self.key)}) {op} {e.const(UNANSWERED)})"


@dataclass(frozen=True, slots=True)
class AnswerIn:
    """The answer is one of `choices`, all text (the commonest shape: `eq` or `in` a word)."""

    key: str
    choices: tuple[str, ...]  # a tuple, not a set: an unhashable answer must not raise

    def __call__(self, f: Facts) -> bool:
        return f.answers.get(self.key) in self.choices

    def source(self, e: Emit) -> str:
        key = e.const(self.key)
        if len(self.choices) == 1:
            return f"(g({key}) == {e.const(self.choices[0])})"
        return f"(g({key}) in {e.const(self.choices)})"


def _compare(op: str, value: Any, v: Any) -> bool:
    """`v op value` as the rules mean it: a missing, boolean or mistyped `v` is never a match."""
    if op == "eq":
        return bool(v == value and type(v) is type(value))
    if op == "ne":
        return bool(v is not None and v != value)
    if op == "in":
        return v in value and type(v) is not bool
    if type(v) not in _NUM:
        return False
    if op == "gte":
        return bool(v >= value)
    if op == "gt":
        return bool(v > value)
    if op == "lte":
        return bool(v <= value)
    return bool(v < value)


def _compare_source(e: Emit, op: str, value: Any, get: str) -> str:
    """The expression of `_compare(op, value, <get>)`."""
    v = e.const(value)
    if op == "eq":
        return f"((_v := {get}) == {v} and type(_v) is {e.const(type(value))})"
    if op == "ne":
        return f"((_v := {get}) is not None and _v != {v})"
    if op == "in":
        return f"((_v := {get}) in {v} and type(_v) is not bool)"
    return f"(type(_v := {get}) in {e.const(_NUM)} and _v {_SIGN[op]} {v})"


@dataclass(frozen=True, slots=True)
class AnswerCompare:
    """Any other comparison of an answer (numbers, choices with whole-number values)."""

    key: str
    op: str  # one of _CMP
    value: Any  # a tuple for `in`

    def __call__(self, f: Facts) -> bool:
        return _compare(self.op, self.value, f.answers.get(self.key))

    def source(self, e: Emit) -> str:
        return _compare_source(e, self.op, self.value, f"g({e.const(self.key)})")


# --- scores --------------------------------------------------------------------------------


def bound(s: Score, side: str) -> Any:
    """The total when known, else the `low` or `high` bound of a partly answered scale (D2)."""
    return s.score if s.score is not None else s.extra.get(side)


def _bound_source(e: Emit, prefix: str, side: str, var: str) -> str:
    subject = f"sc[{e.const(prefix)}]"
    return f"({var} if ({var} := (_s := {subject}).score) is not None else _s.extra.get({side!r}))"


@dataclass(frozen=True, slots=True)
class ScoreIs:
    """`positive = true|false` (`what` "positive") or the band is one of `values` ("band")."""

    prefix: str
    what: str
    values: tuple[Any, ...]

    def __call__(self, f: Facts) -> bool:
        s = f.scores[self.prefix]
        if self.what == "positive":
            return s.positive is self.values[0]
        return s.band in self.values

    def source(self, e: Emit) -> str:
        subject = f"sc[{e.const(self.prefix)}]"
        if self.what == "positive":
            return f"({subject}.positive is {self.values[0]!r})"
        if len(self.values) == 1:
            return f"({subject}.band == {e.const(self.values[0])})"
        return f"({subject}.band in {e.const(self.values)})"


@dataclass(frozen=True, slots=True)
class ScoreCompare:
    """`eq` on a known total; `gte`/`gt` on the lower bound, `lte`/`lt` on the upper (D2)."""

    prefix: str
    op: str
    value: int | float

    def __call__(self, f: Facts) -> bool:
        s = f.scores[self.prefix]
        if self.op == "eq":
            return _compare("eq", self.value, s.score)
        return _compare(
            self.op, self.value, bound(s, "low" if self.op in ("gte", "gt") else "high")
        )

    def source(self, e: Emit) -> str:
        if self.op == "eq":
            return _compare_source(e, "eq", self.value, f"sc[{e.const(self.prefix)}].score")
        side = "low" if self.op in ("gte", "gt") else "high"
        return _compare_source(e, self.op, self.value, _bound_source(e, self.prefix, side, "_b"))


@dataclass(frozen=True, slots=True)
class ScoreBetween:
    """Both bounds of the total (the total itself when known) lie in [low, high]."""

    prefix: str
    low: int | float
    high: int | float

    def __call__(self, f: Facts) -> bool:
        s = f.scores[self.prefix]
        low, high = bound(s, "low"), bound(s, "high")
        return low is not None and high is not None and self.low <= low and high <= self.high

    def source(self, e: Emit) -> str:
        low = _bound_source(e, self.prefix, "low", "_l")
        high = _bound_source(e, self.prefix, "high", "_h")
        lo, hi = e.const(self.low), e.const(self.high)
        both = f"(_l := {low}) is not None and (_h := {high}) is not None"
        return f"({both} and {lo} <= _l and _h <= {hi})"


# --- parsing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Where:
    """Where a condition sits, for error messages: file, rule id, section."""

    path: str
    rule: str
    section: str
    word_lists: frozenset[str] = frozenset()

    def error(self, problem: str) -> RulesetError:
        return RulesetError(f"{self.path}: rule {self.rule}: {problem}")


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _str_list(value: object, allowed: tuple[str, ...], what: str, where: Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise where.error(f"{what} needs a non-empty list")
    for v in value:
        if v not in allowed:
            raise where.error(f"unknown {what} {v!r} (allowed: {', '.join(allowed)})")
    return tuple(value)


def compile_condition(cond: object, where: Where) -> Condition:
    """Validate one condition table and return its condition object; RulesetError on a problem."""
    if not isinstance(cond, Mapping) or not cond:
        raise where.error(f"a condition must be a non-empty table, got {cond!r}")
    if "all" in cond or "any" in cond:
        op = "all" if "all" in cond else "any"
        if len(cond) != 1:
            raise where.error(f"'{op}' must stand alone, found also {sorted(set(cond) - {op})}")
        parts = cond[op]
        if not isinstance(parts, list) or not parts:
            raise where.error(f"'{op}' needs a non-empty list of conditions")
        conditions = tuple(compile_condition(p, where) for p in parts)
        if len(conditions) == 1:
            return conditions[0]
        return All(conditions) if op == "all" else AnyOf(conditions)
    if "not" in cond:
        if len(cond) != 1:
            raise where.error("'not' must stand alone")
        return Not(compile_condition(cond["not"], where))
    if "key" in cond:
        return _compile_key(cond, where)
    if "score" in cond:
        return _compile_score(cond, where)
    if len(cond) != 1:
        raise where.error(f"unknown operator in {dict(cond)!r}")
    ((op, value),) = cond.items()
    for late, sections in _LATE_SECTIONS.items():
        if op == late and where.section not in sections:
            raise where.error(f"operator '{op}' is not available in section '{where.section}'")
    return _compile_simple(op, value, where)


def _compile_simple(op: str, value: object, where: Where) -> Condition:
    if op == "always":
        if value is not True:
            raise where.error("'always' must be true")
        return Always()
    if op == "domain":
        return DomainIs(_str_list([value], DOMAINS, "domain", where))
    if op == "domain_any":
        return DomainIs(_str_list(value, DOMAINS, "domain", where))
    if op == "flag":
        (name,) = _str_list([value], FLAGS, "flag", where)
        return HasFlag(name)
    if op == "concern":
        return Stated(frozenset(_str_list([value], CONCERNS, "concern", where)))
    if op == "concern_any":
        return Stated(frozenset(_str_list(value, CONCERNS, "concern", where)))
    if op == "none_answered":
        return NoneAnswered(_str_list(value, PREFIXES, "instrument", where))
    if op == "text_matches":
        if value not in where.word_lists:
            raise where.error(f"unknown word list {value!r}")
        return CrisisText()
    if op == "urgency":
        (u,) = _str_list([value], URGENCIES, "urgency", where)
        return DecidedIs("urgency", u)
    if op == "line":
        (line,) = _str_list([value], SERVICE_LINES, "service line", where)
        return DecidedIs("line", line)
    raise where.error(f"unknown operator '{op}'")


def _one_op(cond: Mapping[str, Any], subject: str, ops: frozenset[str], where: Where) -> str:
    rest = [k for k in cond if k != subject]
    unknown = [k for k in rest if k not in ops]
    if unknown:
        raise where.error(f"unknown operator '{unknown[0]}' for '{subject}'")
    if len(rest) != 1:
        raise where.error(f"'{subject}' needs exactly one of {', '.join(sorted(ops))}")
    return rest[0]


def _compile_key(cond: Mapping[str, Any], where: Where) -> Condition:
    key = cond["key"]
    spec = VOCABULARY.get(key) if isinstance(key, str) else None
    if spec is None:
        raise where.error(f"unknown answer key {key!r}")
    op = _one_op(cond, "key", _KEY_OPS, where)
    value = cond[op]
    if op == "answered":
        if not isinstance(value, bool):
            raise where.error("'answered' must be true or false")
        return Answered(key, value)
    values = value if op == "in" else [value]
    if op == "in" and (not isinstance(value, list) or not value):
        raise where.error(f"'in' for {key!r} needs a non-empty list")
    for v in values:
        if op in ("gte", "gt", "lte", "lt"):
            if not _is_number(v):
                raise where.error(f"'{op}' for {key!r} needs a number, got {v!r}")
            if not spec.numeric:
                raise where.error(f"'{op}' cannot compare {key!r}, which is not a number")
        elif spec.kind == "choice" and (type(v) not in (int, str) or v not in spec.values):
            raise where.error(f"value {v!r} is not allowed for {key!r}")
        elif spec.kind in ("int", "number") and not _is_number(v):
            raise where.error(f"value {v!r} for {key!r} must be a number")
        elif spec.kind in ("text", "state", "concerns"):
            raise where.error(f"{key!r} cannot be compared with '{op}'; use another operator")
    if op == "eq" and isinstance(value, str):
        return AnswerIn(key, (value,))
    if op == "in" and all(isinstance(v, str) for v in value):
        return AnswerIn(key, tuple(value))
    return AnswerCompare(key, op, tuple(value) if op == "in" else value)


def _compile_score(cond: Mapping[str, Any], where: Where) -> Condition:
    prefix = cond["score"]
    if prefix not in PREFIXES:
        raise where.error(f"unknown instrument {prefix!r} (allowed: {', '.join(PREFIXES)})")
    op = _one_op(cond, "score", _SCORE_OPS, where)
    value = cond[op]
    if op == "positive":
        if not isinstance(value, bool):
            raise where.error("'positive' must be true or false")
        return ScoreIs(prefix, "positive", (value,))
    if op == "band":
        if not isinstance(value, str):
            raise where.error("'band' must be a string")
        return ScoreIs(prefix, "band", (value,))
    if op == "in":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise where.error("'in' for a score compares bands and needs a list of strings")
        return ScoreIs(prefix, "band", tuple(value))
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
            raise where.error("'between' needs [low, high] numbers")
        return ScoreBetween(prefix, value[0], value[1])
    if not _is_number(value):
        raise where.error(f"'{op}' for score {prefix!r} needs a number, got {value!r}")
    return ScoreCompare(prefix, op, value)
