"""PC-PTSD-5 (Primary Care PTSD Screen for DSM-5; Prins et al. 2016): gate + 5 yes/no items.

Exposure `no` -> score 0, negative (the five items are not asked). Exposure `yes` -> count of yes
on items 1-5, positive at >= cutoff (default 3, the sensitive cutoff; 4 is the balanced one).
If the gate says `no` but items were answered anyway, the items are scored (the higher-risk
reading wins, clinical-reference.md D3) and `extra["gate_contradiction"]` is set.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .base import (
    DEFAULT_CUTOFFS,
    NOT_ASKED,
    YES_1,
    YES_NO,
    Answers,
    Instrument,
    Item,
    Score,
    Tally,
    at_least,
    bounds,
    scored,
    sum_scorer,
    tally,
)

KEYS = tuple(f"pcptsd5_{n}" for n in range(1, 6))
_ASKED = "pcptsd5_exposure is yes"


def _exposed(answers: Answers) -> bool:
    return answers.get("pcptsd5_exposure") == "yes"


_TEXTS = (
    "had nightmares about the event(s) or thought about the event(s) when you did not want to?",
    "tried hard not to think about the event(s) or went out of your way to avoid situations "
    "that reminded you of the event(s)?",
    "been constantly on guard, watchful, or easily startled?",
    "felt numb or detached from people, activities, or your surroundings?",
    "felt guilty or unable to stop blaming yourself or others for the event(s) or any problems "
    "the event(s) may have caused?",
)

INSTRUMENT = Instrument(
    key="pcptsd5",
    name="PC-PTSD-5 (Primary Care PTSD Screen for DSM-5)",
    title="Difficult experiences",
    stem=(
        "Sometimes things happen to people that are unusually or especially frightening, "
        "horrible, or traumatic. For example: a serious accident or fire; a physical or sexual "
        "assault or abuse; an earthquake or flood; a war; seeing someone be killed or seriously "
        "injured; having a loved one die through homicide or suicide."
    ),
    items=(
        Item("pcptsd5_exposure", "Have you ever experienced this kind of event?", YES_NO),
        *(
            Item(
                key,
                "In the past month, have you " + text,
                YES_NO,
                asked_if=_exposed,
                asked_if_text=_ASKED,
            )
            for key, text in zip(KEYS, _TEXTS, strict=True)
        ),
    ),
    source=(
        "Prins A et al. The Primary Care PTSD Screen for DSM-5 (PC-PTSD-5). J Gen Intern Med "
        "2016;31:1206-1211. VA National Center for PTSD, public domain. Exposure item LOINC "
        "102017-1 seen in a public FHIR configuration; panel code not confirmed."
    ),
    wording_note="The form never asks for a description of the event (trauma-informed).",
)
_TABLES = (YES_1,) * 5
_NOT_EXPOSED = Score(0, None, False)  # immutable: shared by every intake


def _state(answers: Answers) -> int:
    """The gate: 0 = exposure unanswered, 1 = exposure `no`, 2 = anything else (`yes`)."""
    exposure = answers.get("pcptsd5_exposure")
    return 0 if exposure is None else 1 if exposure == "no" else 2


def rate(t: Tally, state: int, cutoff: int = DEFAULT_CUTOFFS.pcptsd5) -> Score:
    """The Score from the items 1-5 tally and the gate state (`_state`)."""
    if state == 1 and (not t.answered or t.low == 0):
        return _NOT_EXPOSED
    if state == 0 and not t.answered:
        return NOT_ASKED
    if not t.answered:  # exposed, but none of the five answered
        return Score(None, None, None, extra={"unknown": "items 1-5 unanswered", **bounds(t)})
    positive = at_least(t, cutoff)
    extra = {"gate_contradiction": True} if state == 1 else {}
    return scored(t, positive, None, **extra)


def score(answers: Answers, cutoff: int = DEFAULT_CUTOFFS.pcptsd5) -> Score:
    """Count of yes on items 1-5 when exposed; 0 and negative when exposure is no."""
    return rate(tally(answers, KEYS, _TABLES, 1), _state(answers), cutoff)


def scorer(cutoff: int = DEFAULT_CUTOFFS.pcptsd5) -> Callable[[Answers], Score]:
    """`score` with the cutoff bound, precomputed per (gate state, points, answered)."""
    return sum_scorer(
        KEYS, _TABLES, 1, partial(rate, cutoff=cutoff), _state, 3, ("pcptsd5_exposure",)
    )
