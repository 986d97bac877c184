"""Shared shapes of the screening instruments: items to render, cutoffs, and the score.

An instrument module holds the published wording (what the form renders) and a pure `score()`
that reads the contract's answer keys. Missing data follows clinical-rules.md D2: one missing item
on a summed or counted scale is prorated, two or more make the score unknown (None), and nothing
answered means "not asked" (every field None). Unknown is never read as a negative screen: a
partly answered scale keeps its bounds in `extra` (`low` = the answered items' sum, `high` = that
plus every missing item at its maximum, with `answered` and `items`), and its `positive` is
decided from them when they agree (`at_least`), so a cutoff the answered items already reach
counts as reached.
"""

from __future__ import annotations

import linecache
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    # When the item is shown at all (branching); None = always. Pure and cheap.
    asked_if: Callable[[Answers], bool] | None = None
    asked_if_text: str | None = None


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
