"""PVS (Partner Violence Screen; Feldhaus et al., JAMA 1997;277:1357): a rule, not a sum.

Positive if hurt by a current or former partner in the past year (`pvs_1` yes), or not safe in
the current relationship (`pvs_2` no), or a previous partner is making them feel unsafe now
(`pvs_3` yes). Item 1 asks about partners only: being hurt by someone else is not partner
violence and is answered "no" here.
Negative only when all three are answered and none is positive; otherwise unknown. Ask privately;
never show one partner's answers to the other.
"""

from __future__ import annotations

from .base import NOT_ASKED, YES_NO, Answers, Instrument, Item, Score

KEYS = ("pvs_1", "pvs_2", "pvs_3")

INSTRUMENT = Instrument(
    key="pvs",
    name="PVS (Partner Violence Screen)",
    title="Safety in your relationships",
    stem="These questions are private. Your answers are never shared with a partner.",
    items=(
        Item(
            "pvs_1",
            "Within the past year, has a current or former partner hit, kicked, punched, or "
            "otherwise hurt you?",
            YES_NO,
        ),
        Item("pvs_2", "Do you feel safe in your current relationship?", YES_NO),
        Item(
            "pvs_3",
            "Is there a partner from a previous relationship who is making you feel unsafe now?",
            YES_NO,
        ),
    ),
    source=(
        "Feldhaus KM et al. Accuracy of 3 brief screening questions for detecting partner "
        "violence in the emergency department. JAMA 1997;277:1357-1361. Published, free."
    ),
    wording_note=(
        "Items 2 and 3 as published. Item 1 is published as 'hurt by someone within the past "
        "year? If so, by whom?' and is positive only when the answer names a partner; the "
        "form asks that directly (hurt by a current or former partner: yes/no), which is what "
        "the contract's pvs_1 stores (practice adaptation). The stem is the practice's own."
    ),
)


_NEGATIVE = Score(None, "negative", False)  # immutable: shared by every intake


def score(answers: Answers) -> Score:
    """Rule: positive on pvs_1 yes, pvs_2 no, or pvs_3 yes; no number (score stays None)."""
    get = answers.get
    a1, a2, a3 = get("pvs_1"), get("pvs_2"), get("pvs_3")
    if a1 is None and a2 is None and a3 is None:
        return NOT_ASKED
    hits = (a1 == "yes") + (a2 == "no") + (a3 == "yes")
    if hits:
        return Score(None, "positive", True, extra={"items_positive": hits})
    if a1 == "no" and a2 == "yes" and a3 == "no":
        return _NEGATIVE
    return Score(None, None, None, extra={"unknown": "some items unanswered"})
