"""ASQ (Ask Suicide-Screening Questions; NIMH, Horowitz et al. 2012): a rule, not a sum.

Positive when any of items 1-4 is `yes` or `refused`; all four `no` is negative. Band `acute` when
item 5 is `yes`, `non_acute` for other positives, `negative` otherwise. The ASQ carries no number:
`score` is None and `band`/`positive` say it all. If some of 1-4 are missing and none is positive,
the result is unknown (positive None), never negative. `asq_4_when` is a practice follow-up.
"""

from __future__ import annotations

from .base import NOT_ASKED, YES_NO_REFUSED, Answers, Instrument, Item, Score

KEYS = ("asq_1", "asq_2", "asq_3", "asq_4")
_POSITIVE = ("yes", "refused")  # a tuple: an unhashable (invalid) answer must not raise


INSTRUMENT = Instrument(
    key="asq",
    name="ASQ (Ask Suicide-Screening Questions, NIMH)",
    title="Some questions we ask everyone",
    stem="Ask the patient:",
    items=(
        Item("asq_1", "In the past few weeks, have you wished you were dead?", YES_NO_REFUSED),
        Item(
            "asq_2",
            "In the past few weeks, have you felt that you or your family would be better off "
            "if you were dead?",
            YES_NO_REFUSED,
        ),
        Item(
            "asq_3",
            "In the past week, have you been having thoughts about killing yourself?",
            YES_NO_REFUSED,
        ),
        Item("asq_4", "Have you ever tried to kill yourself?", YES_NO_REFUSED),
        Item(
            "asq_4_when",
            "When?",
            (("past_3_months", "In the past 3 months"), ("longer_ago", "Longer ago")),
        ),
        Item(
            "asq_5",
            "Are you having thoughts of killing yourself right now?",
            YES_NO_REFUSED,
        ),
    ),
    source=(
        "Horowitz LM et al. Ask Suicide-Screening Questions (ASQ). Arch Pediatr Adolesc Med "
        "2012;166:1170-1176. NIMH ASQ toolkit, public domain. Result LOINC 93374-7 is C-SSRS; "
        "no ASQ panel code confirmed."
    ),
    wording_note=(
        "Items 1-5 as in the NIMH toolkit. The published item 4 follow-up ('If yes, how? When?') "
        "is asked on the web as a choice of 'past 3 months' / 'longer ago' (practice "
        "adaptation); 'how' is never asked on the form. The stem is the toolkit's clinician "
        "prompt; the form words the introduction itself."
    ),
)


# Immutable, so one of each serves every intake.
_ACUTE = Score(None, "acute", True)
_NON_ACUTE = Score(None, "non_acute", True)
_NEGATIVE = Score(None, "negative", False)


def score(answers: Answers) -> Score:
    """Positive on any yes/refused on 1-4; acute when asq_5 is yes (clinical-rules.md 1)."""
    get = answers.get
    v1, v2, v3, v4 = get("asq_1"), get("asq_2"), get("asq_3"), get("asq_4")
    if v1 is None and v2 is None and v3 is None and v4 is None:
        return NOT_ASKED
    if v1 in _POSITIVE or v2 in _POSITIVE or v3 in _POSITIVE or v4 in _POSITIVE:
        return _ACUTE if get("asq_5") == "yes" else _NON_ACUTE
    if v1 == "no" and v2 == "no" and v3 == "no" and v4 == "no":
        return _NEGATIVE
    return Score(None, None, None, extra={"unknown": "some of items 1-4 unanswered"})
