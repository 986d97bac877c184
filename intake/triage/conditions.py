"""The rule condition language: TOML tables compiled once into closures over `Facts`.

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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from intake.screening import NOT_ASKED, PREFIXES, Score

from .model import Facts, Predicate, RulesetError
from .vocabulary import CONCERNS, DOMAINS, FLAGS, SERVICE_LINES, URGENCIES, VOCABULARY

_CMP = ("eq", "ne", "in", "gte", "gt", "lte", "lt")
_KEY_OPS = frozenset((*_CMP, "answered"))
_SCORE_OPS = frozenset(("eq", "gte", "gt", "lte", "lt", "between", "positive", "band", "in"))
_LATE_SECTIONS = {"line": ("flags", "modality"), "urgency": ("raise", "flags", "modality")}
UNANSWERED: tuple[object, ...] = (None, "", [], ())  # `answered = false` for these values


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


def compile_condition(cond: object, where: Where) -> Predicate:
    """Validate one condition table and return its predicate; RulesetError on any problem."""
    if not isinstance(cond, Mapping) or not cond:
        raise where.error(f"a condition must be a non-empty table, got {cond!r}")
    if "all" in cond or "any" in cond:
        op = "all" if "all" in cond else "any"
        if len(cond) != 1:
            raise where.error(f"'{op}' must stand alone, found also {sorted(set(cond) - {op})}")
        parts = cond[op]
        if not isinstance(parts, list) or not parts:
            raise where.error(f"'{op}' needs a non-empty list of conditions")
        preds = tuple(compile_condition(p, where) for p in parts)
        return _all_of(preds) if op == "all" else _any_of(preds)
    if "not" in cond:
        if len(cond) != 1:
            raise where.error("'not' must stand alone")
        inner = compile_condition(cond["not"], where)
        return lambda f: not inner(f)
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


def _all_of(preds: tuple[Predicate, ...]) -> Predicate:
    # Plain loops and unrolled pairs: measurably faster than all(<generator>) on the hot path.
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda f: a(f) and b(f)

    def every(f: Facts) -> bool:
        for p in preds:
            if not p(f):
                return False
        return True

    return every


def _any_of(preds: tuple[Predicate, ...]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda f: a(f) or b(f)

    def some(f: Facts) -> bool:
        for p in preds:
            if p(f):
                return True
        return False

    return some


def _compile_simple(op: str, value: object, where: Where) -> Predicate:
    if op == "always":
        if value is not True:
            raise where.error("'always' must be true")
        return lambda f: True
    if op == "domain":
        (d,) = _str_list([value], DOMAINS, "domain", where)
        return lambda f: f.domains.get(d) is True
    if op == "domain_any":
        ds = _str_list(value, DOMAINS, "domain", where)
        return lambda f: any(f.domains.get(d) is True for d in ds)
    if op == "flag":
        (name,) = _str_list([value], FLAGS, "flag", where)
        return lambda f: name in f.flags
    if op == "concern":
        (c,) = _str_list([value], CONCERNS, "concern", where)
        return lambda f: c in f.concerns
    if op == "concern_any":
        cs = frozenset(_str_list(value, CONCERNS, "concern", where))
        return lambda f: not cs.isdisjoint(f.concerns)
    if op == "none_answered":
        ps = _str_list(value, PREFIXES, "instrument", where)
        return lambda f: all(f.scores[p] is NOT_ASKED for p in ps)
    if op == "text_matches":
        if value not in where.word_lists:
            raise where.error(f"unknown word list {value!r}")
        return lambda f: f.crisis_text
    if op == "urgency":
        (u,) = _str_list([value], URGENCIES, "urgency", where)
        return lambda f: f.urgency == u
    if op == "line":
        (line,) = _str_list([value], SERVICE_LINES, "service line", where)
        return lambda f: f.line == line
    raise where.error(f"unknown operator '{op}'")


def _one_op(cond: Mapping[str, Any], subject: str, ops: frozenset[str], where: Where) -> str:
    rest = [k for k in cond if k != subject]
    unknown = [k for k in rest if k not in ops]
    if unknown:
        raise where.error(f"unknown operator '{unknown[0]}' for '{subject}'")
    if len(rest) != 1:
        raise where.error(f"'{subject}' needs exactly one of {', '.join(sorted(ops))}")
    return rest[0]


def _compile_key(cond: Mapping[str, Any], where: Where) -> Predicate:
    key = cond["key"]
    spec = VOCABULARY.get(key) if isinstance(key, str) else None
    if spec is None:
        raise where.error(f"unknown answer key {key!r}")
    op = _one_op(cond, "key", _KEY_OPS, where)
    value = cond[op]
    if op == "answered":
        if not isinstance(value, bool):
            raise where.error("'answered' must be true or false")
        return (
            (lambda f: f.answers.get(key) not in UNANSWERED)
            if value
            else (lambda f: f.answers.get(key) in UNANSWERED)
        )
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
    # The two commonest shapes get a direct closure (this runs ~50 times per intake).
    if op == "eq" and isinstance(value, str):
        return lambda f: f.answers.get(key) == value
    if op == "in" and all(isinstance(v, str) for v in value):
        choices = tuple(value)  # a tuple, not a set: an unhashable answer must not raise
        return lambda f: f.answers.get(key) in choices
    return _comparison(op, value, lambda f: f.answers.get(key))


def _comparison(op: str, value: Any, get: Any) -> Predicate:
    def num(f: Facts) -> float | None:
        v = get(f)
        return v if type(v) in (int, float) else None

    if op == "eq":
        return lambda f: (v := get(f)) == value and type(v) is type(value)
    if op == "ne":
        return lambda f: get(f) is not None and get(f) != value
    if op == "in":
        allowed = tuple(value)
        return lambda f: (v := get(f)) in allowed and type(v) is not bool
    if op == "gte":
        return lambda f: (n := num(f)) is not None and n >= value
    if op == "gt":
        return lambda f: (n := num(f)) is not None and n > value
    if op == "lte":
        return lambda f: (n := num(f)) is not None and n <= value
    return lambda f: (n := num(f)) is not None and n < value


def _compile_score(cond: Mapping[str, Any], where: Where) -> Predicate:
    prefix = cond["score"]
    if prefix not in PREFIXES:
        raise where.error(f"unknown instrument {prefix!r} (allowed: {', '.join(PREFIXES)})")
    op = _one_op(cond, "score", _SCORE_OPS, where)
    value = cond[op]
    if op == "positive":
        if not isinstance(value, bool):
            raise where.error("'positive' must be true or false")
        return lambda f: f.scores[prefix].positive is value
    if op == "band":
        if not isinstance(value, str):
            raise where.error("'band' must be a string")
        return lambda f: f.scores[prefix].band == value
    if op == "in":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise where.error("'in' for a score compares bands and needs a list of strings")
        bands = tuple(value)
        return lambda f: f.scores[prefix].band in bands
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))):
            raise where.error("'between' needs [low, high] numbers")
        lo, hi = value

        def between(f: Facts) -> bool:
            low, high = bound(f.scores[prefix], "low"), bound(f.scores[prefix], "high")
            return low is not None and high is not None and lo <= low and high <= hi

        return between
    if not _is_number(value):
        raise where.error(f"'{op}' for score {prefix!r} needs a number, got {value!r}")
    if op == "eq":
        return _comparison(op, value, lambda f: f.scores[prefix].score)
    side = "low" if op in ("gte", "gt") else "high"
    return _comparison(op, value, lambda f: bound(f.scores[prefix], side))


def bound(s: Score, side: str) -> Any:
    """The total when known, else the `low` or `high` bound of a partly answered scale (D2)."""
    return s.score if s.score is not None else s.extra.get(side)
