"""ECR-RS, partner version (Fraley et al., Psychol Assess 2011;23:615): descriptive only.

Avoidance = mean of items 1-6 with items 1-4 reversed (8 - x); anxiety = mean of items 7-9.
There is no cutoff and it never routes: the means go to the couples clinician. A subscale with one
missing item is the mean of the rest (marked prorated); with more missing it is unknown.
"""

from __future__ import annotations

from .base import NOT_ASKED, Answers, Instrument, Item, Score

AVOIDANCE = ("ecrrs_1", "ecrrs_2", "ecrrs_3", "ecrrs_4", "ecrrs_5", "ecrrs_6")
ANXIETY = ("ecrrs_7", "ecrrs_8", "ecrrs_9")
KEYS = AVOIDANCE + ANXIETY
REVERSED = frozenset({"ecrrs_1", "ecrrs_2", "ecrrs_3", "ecrrs_4"})
_KEYSET = frozenset(KEYS)
OPTIONS = (
    (1, "Strongly disagree"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5"),
    (6, "6"),
    (7, "Strongly agree"),
)

_TEXTS = (
    "It helps to turn to this person in times of need.",
    "I usually discuss my problems and concerns with this person.",
    "I talk things over with this person.",
    "I find it easy to depend on this person.",
    "I don't feel comfortable opening up to this person.",
    "I prefer not to show this person how I feel deep down.",
    "I often worry that this person doesn't really care for me.",
    "I'm afraid that this person may abandon me.",
    "I worry that this person won't care about me as much as I care about him or her.",
)

INSTRUMENT = Instrument(
    key="ecrrs",
    name="ECR-RS (Experiences in Close Relationships - Relationship Structures), partner",
    title="How you relate to your partner",
    stem=(
        "Please answer the following questions about your romantic partner (or your most recent "
        "romantic partner). Rate the extent to which you believe each statement best describes "
        "your feelings about close relationships with this person."
    ),
    items=tuple(Item(k, t, OPTIONS) for k, t in zip(KEYS, _TEXTS, strict=True)),
    source=(
        "Fraley RC, Heffernan ME, Vicary AM, Brumbaugh CC. The Experiences in Close "
        "Relationships-Relationship Structures questionnaire. Psychol Assess 2011;23:615-625. "
        "Free (Fraley lab)."
    ),
    wording_note=(
        "Item texts as published. The stem condenses the lab page's instructions; the form "
        "may word the introduction itself."
    ),
)


def _mean(answers: Answers, keys: tuple[str, ...]) -> tuple[float | None, bool]:
    values = []
    for k in keys:
        v = answers.get(k)
        if type(v) is int and 1 <= v <= 7:
            values.append(8 - v if k in REVERSED else v)
    missing = len(keys) - len(values)
    if not values or missing > 1:
        return None, False
    return round(sum(values) / len(values), 2), missing == 1


def score(answers: Answers) -> Score:
    """Avoidance and anxiety means (1-7) in `extra`; score, band and positive stay None."""
    if answers.keys().isdisjoint(_KEYSET):
        return NOT_ASKED
    get = answers.get
    for k in KEYS:
        if get(k) is not None:
            break
    else:
        return NOT_ASKED
    avoidance, p1 = _mean(answers, AVOIDANCE)
    anxiety, p2 = _mean(answers, ANXIETY)
    return Score(None, None, None, p1 or p2, {"avoidance": avoidance, "anxiety": anxiety})
