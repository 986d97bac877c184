"""AUDIT-C (Bush et al. 1998; AUDIT items 1-3): alcohol, sum 0-12.

Positive at >= 4 for `male`, >= 3 otherwise (female, other, unspecified or missing sex:
clinical-reference.md 2.9). >= 8 is treated as severe. Someone who answers "Never" to item 1 is
not asked items 2-3, which then count 0 (not missing).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .base import (
    DEFAULT_CUTOFFS,
    NOT_ASKED,
    Answers,
    Instrument,
    Item,
    Score,
    Tally,
    at_least,
    ints,
    scored,
    sum_scorer,
    tally,
)

KEYS = ("auditc_1", "auditc_2", "auditc_3")

INSTRUMENT = Instrument(
    key="auditc",
    name="AUDIT-C (Alcohol Use Disorders Identification Test - Consumption)",
    title="Alcohol",
    stem="These questions are about drinks containing alcohol, over the past year.",
    items=(
        Item(
            "auditc_1",
            "How often do you have a drink containing alcohol?",
            (
                (0, "Never"),
                (1, "Monthly or less"),
                (2, "2-4 times a month"),
                (3, "2-3 times a week"),
                (4, "4 or more times a week"),
            ),
            loinc="68518-0",
        ),
        Item(
            "auditc_2",
            "How many standard drinks containing alcohol do you have on a typical day?",
            ((0, "1 or 2"), (1, "3 or 4"), (2, "5 or 6"), (3, "7 to 9"), (4, "10 or more")),
            loinc="68519-8",
            asked_if=lambda a: a.get("auditc_1") != 0,
            asked_if_text="auditc_1 is not Never",
        ),
        Item(
            "auditc_3",
            "How often do you have six or more drinks on one occasion?",
            (
                (0, "Never"),
                (1, "Less than monthly"),
                (2, "Monthly"),
                (3, "Weekly"),
                (4, "Daily or almost daily"),
            ),
            loinc="68520-6",
            asked_if=lambda a: a.get("auditc_1") != 0,
            asked_if_text="auditc_1 is not Never",
        ),
    ),
    source=(
        "Bush K et al. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern Med "
        "1998;158:1789-1795; cutoffs Bradley KA et al. 2007. Public domain. LOINC panel "
        "72109-2, total 75626-2."
    ),
    loinc="72109-2",
    wording_note="The stem (past year) is the practice's introduction; items as in the VA form.",
)
ITEM_MAX = 4
_TABLES = (ints(0, ITEM_MAX),) * 3


def _never_drinker(answers: Answers) -> Answers | None:
    """A "Never" on item 1: the answers with items 2-3 counted 0 where unanswered; else None."""
    get = answers.get
    if get("auditc_1") != 0:
        return None
    return {"sex": get("sex"), **{k: 0 if (v := get(k)) is None else v for k in KEYS}}


def _male(answers: Answers) -> int:
    """The state `rate` needs: 1 when `sex` is male (cutoff 4), 0 otherwise (cutoff 3)."""
    return 1 if answers.get("sex") == "male" else 0


def rate(
    t: Tally,
    male: int,
    cutoff_male: int = DEFAULT_CUTOFFS.auditc_male,
    cutoff_other: int = DEFAULT_CUTOFFS.auditc_other,
    severe: int = DEFAULT_CUTOFFS.auditc_severe,
) -> Score:
    """The Score of an AUDIT-C tally for a man (`male` 1) or anyone else (0)."""
    if not t.answered:
        return NOT_ASKED
    cutoff = cutoff_male if male else cutoff_other
    if t.total is None:
        return scored(t, at_least(t, cutoff))
    band = "severe" if t.total >= severe else "positive" if t.total >= cutoff else "negative"
    return scored(t, t.total >= cutoff, band)


def score(
    answers: Answers,
    cutoff_male: int = DEFAULT_CUTOFFS.auditc_male,
    cutoff_other: int = DEFAULT_CUTOFFS.auditc_other,
    severe: int = DEFAULT_CUTOFFS.auditc_severe,
) -> Score:
    """Sum 0-12; band `negative` / `positive` / `severe`; the cutoff depends on `sex`."""
    answers = _never_drinker(answers) or answers
    t = tally(answers, KEYS, _TABLES, ITEM_MAX)
    return rate(t, _male(answers), cutoff_male, cutoff_other, severe)


def scorer(
    cutoff_male: int = DEFAULT_CUTOFFS.auditc_male,
    cutoff_other: int = DEFAULT_CUTOFFS.auditc_other,
    severe: int = DEFAULT_CUTOFFS.auditc_severe,
) -> Callable[[Answers], Score]:
    """`score` with the cutoffs bound, precomputed per (sex, points, answered) (see sum_scorer).

    `sex` alone makes no score, so it is not a state key: without an item it stays not asked.
    """
    bound = partial(rate, cutoff_male=cutoff_male, cutoff_other=cutoff_other, severe=severe)
    fast = sum_scorer(KEYS, _TABLES, ITEM_MAX, bound, _male, 2)

    def score_fast(answers: Answers) -> Score:
        return fast(_never_drinker(answers) or answers)

    return score_fast
