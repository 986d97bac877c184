"""Shared shapes of the screening instruments: items to render, cutoffs, and the score.

An instrument module holds the published wording (what the form renders) and how it is scored
from the contract's answer keys: the summed and counted scales declare a `Scale` (data: items,
points, reversed items, cut-offs, bands, gate) scored by the one scorer at the end of this
module; ASQ, ECR-RS and PVS have a rule of their own, a pure `score()`. Missing data follows
clinical-rules.md D2: one missing item on a summed or counted scale is prorated, two or more
make the score unknown (None), and nothing answered means "not asked" (every field None).
Unknown is never read as a negative screen: a partly answered scale keeps its bounds in `extra`
(`low` = the answered items' sum, `high` = that plus every missing item at its maximum, with
`answered` and `items`), and its `positive` is decided from them when they agree (`at_least`),
so a cutoff the answered items already reach counts as reached.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

Answers = Mapping[str, Any]
Option = tuple[object, str]

FREQUENCY_0_3: tuple[Option, ...] = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)
YES_NO: tuple[Option, ...] = (("yes", "Yes"), ("no", "No"))
YES_NO_REFUSED: tuple[Option, ...] = (
    ("yes", "Yes"),
    ("no", "No"),
    ("refused", "Prefer not to answer"),
)


@dataclass(frozen=True, slots=True)
class Item:
    """One question as the form shows it; `key` and option values are contract vocabulary."""

    key: str
    text: str
    options: tuple[Option, ...]
    loinc: str | None = None
    kind: Literal["choice", "integer", "number"] = "choice"
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """An instrument's published wording plus what staff need to know about it."""

    key: str  # the contract's answer-key prefix ("phq9", "gad7", "asq", ...)
    name: str  # the official name, for staff
    title: str  # patient-facing heading, without diagnostic words
    stem: str  # instructions with the published time frame
    items: tuple[Item, ...]
    source: str
    loinc: str | None = None
    answer_loinc: tuple[tuple[object, str], ...] = ()
    wording_verified: bool = True
    wording_note: str = ""
    validated: bool = True  # False for the practice-authored safety items

    def item(self, key: str) -> Item:
        for it in self.items:
            if it.key == key:
                return it
        raise KeyError(key)


_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


class Score(NamedTuple):
    """Result of one instrument. None everywhere = not asked; score None alone = unknown.

    Immutable; a NamedTuple rather than a frozen dataclass because a dozen are built per
    intake and a frozen dataclass costs three times as much to construct. `extra` holds
    instrument specifics (ECR-RS means, bounds of a partly answered scale, gate contradictions).
    """

    score: float | int | None
    band: str | None
    positive: bool | None
    prorated: bool = False
    extra: Mapping[str, Any] = _NO_EXTRA

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "band": self.band, "positive": self.positive}


NOT_ASKED = Score(None, None, None)


@dataclass(frozen=True, slots=True)
class Cutoffs:
    """Practice-configurable cutoffs (clinical-rules.md); the rules file overrides the defaults."""

    phq9_dep: int = 10
    phq9_dep_sev: int = 20
    gad7_anx: int = 10
    gad7_anx_sev: int = 15
    pcptsd5: int = 3
    asrs: int = 4
    mdq_yes: int = 7
    scoff: int = 2
    auditc_male: int = 4
    auditc_other: int = 3
    auditc_severe: int = 8
    dast: int = 3
    dast_severe: int = 6
    oci4: int = 4
    csi4_distress: float = 13.5
    bmi_ed_med: float = 17.5


DEFAULT_CUTOFFS = Cutoffs()


def round_half_up(value: float) -> int:
    """Round .5 away from zero (Python's round() is banker's rounding, which surprises staff)."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


class Tally(NamedTuple):
    """Sum of item values with D2 applied. `low`/`high` bound the true total; `items` = n."""

    total: int | None
    answered: int
    prorated: bool
    low: int
    high: int
    items: int


Points = dict[object, int]  # answer value -> points; anything not in it counts as missing


def ints(low: int, high: int) -> dict[object, int]:
    """Points table for integer answers low..high scoring their own value."""
    return {v: v for v in range(low, high + 1)}


YES_1: dict[object, int] = {"yes": 1, "no": 0}


def tally(answers: Answers, keys: Sequence[str], tables: Sequence[Points], item_max: int) -> Tally:
    """Sum the points of each key's answer; one missing item prorates, more make it unknown.

    `tables[i]` maps the answers of `keys[i]` to points (precomputed per instrument: this runs
    a dozen times per intake). An answer not in the table, a bool, or an unhashable value is
    unreadable and counts as missing. The bounds let the triage engine treat a partly answered
    scale that already reaches a cutoff as positive (unknown is never negative, and a reached
    cutoff is not unknown).
    """
    total, answered = _points(answers.get, zip(keys, tables, strict=True))
    return tally_from(total, answered, len(keys), item_max)


def _points(get: Callable[[str], Any], pairs: Iterable[tuple[str, Points]]) -> tuple[int, int]:
    """(sum of points, items answered readably) over (key, points table) pairs."""
    total = 0
    answered = 0
    for key, table in pairs:  # hot path: ~90 items per intake
        value = get(key)
        if value is None or value is True or value is False:  # True == 1 as a dict key
            continue
        try:
            points = table.get(value)
        except TypeError:  # unhashable, so certainly not a contract value
            continue
        if points is not None:
            total += points
            answered += 1
    return total, answered


# NamedTuple construction without the generated Python-level __new__ (same object, cheaper).
new_tuple = tuple.__new__


def tally_from(total: int, answered: int, n: int, item_max: int) -> Tally:
    """The Tally of `n` items of which `answered` were readable and scored `total` points."""
    missing = n - answered
    high = total + missing * item_max
    if missing == 0:
        return new_tuple(Tally, (total, answered, False, total, total, n))
    if answered == 0:
        return new_tuple(Tally, (None, 0, False, 0, high, n))
    if missing == 1:
        estimate = round_half_up(total / answered * n)
        return new_tuple(Tally, (estimate, answered, True, total, high, n))
    return new_tuple(Tally, (None, answered, False, total, high, n))


def sum_scorer(
    keys: Sequence[str],
    tables: Sequence[Points],
    item_max: int,
    rate: Callable[..., Score],
    state: Callable[[Answers], int] | None = None,
    states: int = 1,
    state_keys: Sequence[str] = (),
) -> Callable[[Answers], Score]:
    """`rate(tally(answers, keys, tables, item_max))`, made cheap per call.

    A summed scale's Score depends only on (points, items answered), a small finite space, so
    `rate` is applied to every pair once, here, and a call is one pass over the items plus a
    list lookup. With `state`, the Score also depends on other answers (a gate question), which
    `state` sorts into 0..states-1, and `rate` is called as rate(tally, state); `state_keys` are
    the keys it reads that can make a score although no item is answered. Results whose `extra`
    is a fresh dict (partly answered scales, gate contradictions) are not shared between
    intakes: those call `rate` each time. An intake with none of the keys at all (the instrument
    was not asked) gets the empty-answers result at once.

    The pass over the items is generated Python (`_item_sum`): one expression that sums an
    encoded points table per item, so that the sum is the result's index directly.
    """
    pairs = tuple(zip(keys, tables, strict=True))
    n = len(keys)
    stride = n + 1
    per_item = max((max(t.values(), default=0) for t in tables), default=0)
    block = (n * per_item + 1) * stride
    results: list[Score | None] = []
    for k in range(states):
        for total in range(block // stride):
            for answered in range(stride):
                t = tally_from(total, answered, n, item_max)
                if total > answered * per_item:  # cannot happen: leave it to `rate`
                    results.append(None)
                    continue
                s = rate(t) if state is None else rate(t, k)
                results.append(s if s.extra is _NO_EXTRA else None)

    # Nothing answered: the result of the zero index (in the state of no answers at all). An
    # intake with none of the keys gets it without reading the items.
    empty = results[(0 if state is None else state({})) * block]
    keyset = frozenset((*keys, *state_keys)) if empty is not None else frozenset()

    def rate_at(i: int) -> Score:
        k, rest = divmod(i, block)
        total, answered = divmod(rest, stride)
        t = tally_from(total, answered, n, item_max)
        return rate(t) if state is None else rate(t, k)

    def plain_pass(get: Callable[[str], Any]) -> int:
        total, answered = _points(get, pairs)
        return total * stride + answered

    item_sum, names = _item_sum(pairs, stride)
    names |= {"_keyset": keyset, "_empty": empty, "_results": results, "_rate_at": rate_at}
    names |= {"_plain": plain_pass, "_state": state}
    src = ["def score(answers):"]
    if keyset:
        src += ["    if answers.keys().isdisjoint(_keyset):", "        return _empty"]
    src += [
        "    get = answers.get",
        "    try:",
        f"        i = {item_sum}",
        "    except TypeError:  # an unhashable answer: the plain loop, which skips it",
        "        i = _plain(get)",
    ]
    if state is not None:
        src.append(f"    i += _state(answers) * {block}")
    src += ["    s = _results[i]", "    return s if s is not None else _rate_at(i)"]
    source = "\n".join(src) + "\n"
    filename = f"<scorer {keys[0] if keys else 'empty'}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), names)  # noqa: S102 - built from the tables above
    fn: Callable[[Answers], Score] = names["score"]
    return fn


def _item_sum(pairs: tuple[tuple[str, Points], ...], stride: int) -> tuple[str, dict[str, Any]]:
    """What `_points` does, unrolled: one expression over `get`, and the tables it names.

    Item i's table becomes {answer: points * stride + 1}, so the sum over the items of
    `table.get(answer, 0)` is `total * stride + answered`: the index of the precomputed result.
    Tables with non-text answers skip True/False (True == 1 as a dict key), as `_points` does.
    An unhashable answer raises TypeError in a lookup.
    """
    names: dict[str, Any] = {}
    terms = []
    for i, (key, table) in enumerate(pairs):
        if any(type(p) is not int or p < 0 for p in table.values()):
            raise ValueError(f"points of {key!r} must be whole numbers >= 0")
        names[f"_t{i}"] = {answer: p * stride + 1 for answer, p in table.items()}.get
        if all(type(answer) is str for answer in table):
            terms.append(f"_t{i}(get({key!r}), 0)")
        else:
            terms.append(
                f"(_t{i}(v, 0) if (v := get({key!r})) is not True and v is not False else 0)"
            )
    return "(" + "\n             + ".join(terms or ["0"]) + ")", names


def band_for(value: int | None, bands: Sequence[tuple[int, str]]) -> str | None:
    """The band with the largest lower bound <= value; `bands` is (lower bound, name) ascending."""
    if value is None:
        return None
    name: str | None = None
    for lower, label in bands:
        if value >= lower:
            name = label
    return name


def at_least(t: Tally, cutoff: float) -> bool | None:
    """`total >= cutoff`; for an unknown total, what the bounds decide, else None (D2).

    The answered items' sum already reaching the cutoff is True (unknown is never negative, and
    a reached cutoff is not unknown); even every missing item at its maximum staying below it
    is False.
    """
    if t.total is not None:
        return t.total >= cutoff
    if t.low >= cutoff:
        return True
    if t.high < cutoff:
        return False
    return None


def bounds(t: Tally) -> dict[str, int]:
    """What `extra` holds for a scale with missing items: the bounds of the full total."""
    return {"low": t.low, "high": t.high, "answered": t.answered, "items": t.items}


def scored(t: Tally, positive: bool | None, band: str | None = None, **extra: Any) -> Score:
    """Build a Score from a tally, keeping the bounds when items are missing (prorated too)."""
    if t.answered and t.answered < t.items:
        extra = {**extra, **bounds(t)}
    return new_tuple(Score, (t.total, band, positive, t.prorated, extra or _NO_EXTRA))


# --- the summed and counted scales, declared as data ---------------------------------------


@dataclass(frozen=True, slots=True)
class Gate:
    """A question that opens a scale's items (PC-PTSD-5 exposure, the drug question).

    `state` sorts the gate's answer: 0 unanswered or unreadable, 1 closed (the items are not
    asked), 2 open. Closed with no item endorsed gives `closed`; open with no item answered is
    unknown (`unknown` says why, with the bounds). Items answered although the gate is closed
    are scored (the higher-risk reading wins, clinical-reference.md D3) and marked
    `extra["gate_contradiction"]`.
    """

    key: str
    state: Callable[[object], int]
    closed: Score
    unknown: str


@dataclass(frozen=True, slots=True)
class Scale:
    """One summed or counted scale as data, scored by the one scorer below.

    - `instrument`: the published wording (items, options, source) the form renders.
    - `keys`: the scored items. Each answer's points come from its option: a whole number
      scores its value (a `reversed` item: lowest + highest option - value), "yes" 1 and "no" 0
      (reversed: the other way round); `counted_from` counts an item 1 at or above the value
      instead (shaded boxes); `points` gives any other option's points (it must: an option
      without points is refused here, so nothing is scored by accident).
    - `cutoff`: the `Cutoffs` field for "positive at >= cutoff"; `cutoff_male` the field used
      instead when `sex` is male (AUDIT-C). `positive_below`: positive is *below* the cutoff
      (CSI-4 distress).
    - `bands`: (lower bound, name) ascending; a bound may name a `Cutoffs` field, or "cutoff"
      for the cutoff in force, so that bands follow the practice's cutoffs.
    - `gate`: a question that opens the items (`Gate`). `zero_when`: (key, value) whose answer
      means the other items are skipped and count 0 where unanswered (AUDIT-C "Never").
    - `rule`: a rule of its own for `positive` (MDQ's three parts) over `state` (how other
      answers sort into 0..count-1, and those of them that make a score without an item).

    Missing data follows D2 (`tally`): one missing item is prorated, more make the total
    unknown, and a partly answered scale keeps the bounds of its total in `extra`.
    """

    instrument: Instrument
    keys: tuple[str, ...]
    cutoff: str
    bands: tuple[tuple[int | str, str], ...] = ()
    reversed: frozenset[str] = frozenset()
    counted_from: Mapping[str, int] = field(default_factory=dict)
    points: Mapping[str, Mapping[object, int]] = field(default_factory=dict)
    cutoff_male: str | None = None
    positive_below: bool = False
    gate: Gate | None = None
    zero_when: tuple[str, object] | None = None
    rule: Callable[[Tally, int, Any], Score] | None = None
    state: tuple[Callable[[Answers], int], int, tuple[str, ...]] | None = None
    tables: tuple[Points, ...] = field(init=False, default=())  # derived: each item's points
    item_max: int = field(init=False, default=0)  # derived: most points of any item (bounds)

    def __post_init__(self) -> None:
        tables = tuple(self._table(k) for k in self.keys)
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "item_max", max(max(t.values()) for t in tables))

    def _table(self, key: str) -> Points:
        options = [value for value, _ in self.instrument.item(key).options]
        numbers = [v for v in options if type(v) is int]
        ends = min(numbers, default=0) + max(numbers, default=1)  # reversed: ends - value
        table: Points = {}
        for v in options:
            if key in self.counted_from and type(v) is int:
                table[v] = int(v >= self.counted_from[key])
            elif type(v) is int:
                table[v] = ends - v if key in self.reversed else v
            elif v in ("yes", "no"):
                table[v] = int((v == "yes") != (key in self.reversed))
        table.update(self.points.get(key, {}))
        unscored = [v for v in options if v not in table]
        if unscored:
            raise ValueError(f"{key}: no points for option(s) {unscored!r}")
        return table

    @property
    def key(self) -> str:
        return self.instrument.key

    def item_points(self, key: str, value: object) -> int | None:
        """The points one answer scores (None: unanswered or unreadable, i.e. missing)."""
        t = tally({key: value}, (key,), (self.tables[self.keys.index(key)],), 1)
        return t.total if t.answered else None

    def _states(self) -> tuple[Callable[[Answers], int] | None, int, tuple[str, ...]]:
        """How answers outside the items sort into the states `rate` tells apart."""
        if self.state is not None:
            return self.state
        if self.gate is not None:
            gate = self.gate
            return (lambda a: gate.state(a.get(gate.key))), 3, (gate.key,)
        if self.cutoff_male is not None:  # `sex` alone makes no score: not a state key
            return (lambda a: 1 if a.get("sex") == "male" else 0), 2, ()
        return None, 1, ()

    def rater(self, c: Cutoffs = DEFAULT_CUTOFFS) -> Callable[[Tally, int], Score]:
        """rate(tally, state) -> Score with the practice's cutoffs `c` resolved once."""
        cutoffs = (getattr(c, self.cutoff), getattr(c, self.cutoff_male or self.cutoff))
        rule, gate, below = self.rule, self.gate, self.positive_below

        def band_bounds(cutoff: Any) -> list[tuple[Any, str]]:
            return [
                (cutoff if b == "cutoff" else getattr(c, b) if type(b) is str else b, name)
                for b, name in self.bands
            ]

        bands = (band_bounds(cutoffs[0]), band_bounds(cutoffs[1]))
        by_sex = self.cutoff_male is not None

        def rate(t: Tally, state: int = 0) -> Score:
            sex = 1 if by_sex and state == 1 else 0  # AUDIT-C: state 1 is male
            cutoff = cutoffs[sex]
            if rule is not None:
                return rule(t, state, cutoff)
            if gate is not None and state == 1 and (not t.answered or t.low == 0):
                return gate.closed
            if not t.answered:
                if gate is not None and state == 2:
                    return Score(None, None, None, extra={"unknown": gate.unknown, **bounds(t)})
                return NOT_ASKED
            reached = at_least(t, cutoff)
            positive = reached if not below or reached is None else not reached
            band = band_for(t.total, bands[sex]) if bands[sex] else None
            if gate is not None and state == 1:
                return scored(t, positive, band, gate_contradiction=True)
            return scored(t, positive, band)

        return rate

    def _skipped(self, answers: Answers) -> Answers:
        """`zero_when`: the answers with the skipped items counted 0 where unanswered."""
        if self.zero_when is None:
            return answers
        key, value = self.zero_when
        if answers.get(key) != value:
            return answers
        return {**answers, **{k: 0 for k in self.keys if answers.get(k) is None}}

    def score(self, answers: Answers, c: Cutoffs = DEFAULT_CUTOFFS) -> Score:
        """The plain reading: tally the items, sort the state, rate (the reference)."""
        answers = self._skipped(answers)
        read, _, _ = self._states()
        state = 0 if read is None else read(answers)
        return self.rater(c)(tally(answers, self.keys, self.tables, self.item_max), state)

    def scorer(self, c: Cutoffs = DEFAULT_CUTOFFS) -> Callable[[Answers], Score]:
        """`score` with the cutoffs bound, precomputed per (state, points, answered)."""
        read, count, state_keys = self._states()
        rate = self.rater(c)
        fast = sum_scorer(self.keys, self.tables, self.item_max, rate, read, count, state_keys)
        if self.zero_when is None:
            return fast
        skipped = self._skipped

        def score_skipping(answers: Answers) -> Score:
            return fast(skipped(answers))

        return score_skipping
