"""PC-PTSD-5 (Primary Care PTSD Screen for DSM-5; Prins et al. 2016): gate + 5 yes/no items.

Exposure `no` -> score 0, negative (the five items are not asked). Exposure `yes` -> count of yes
on items 1-5, positive at >= cutoff (default 3, the sensitive cutoff; 4 is the balanced one).
If the gate says `no` but items were answered anyway, the items are scored (the higher-risk
reading wins, clinical-reference.md D3) and `extra["gate_contradiction"]` is set.
"""

from __future__ import annotations

from .base import YES_NO, Gate, Instrument, Item, Scale, Score

KEYS = tuple(f"pcptsd5_{n}" for n in range(1, 6))
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


def _exposure_state(exposure: object) -> int:
    """The gate: 0 = exposure unanswered, 1 = exposure `no`, 2 = anything else (`yes`)."""
    return 0 if exposure is None else 1 if exposure == "no" else 2


SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="pcptsd5",  # count of yes; positive at >= 3 by default
    gate=Gate("pcptsd5_exposure", _exposure_state, Score(0, None, False), "items 1-5 unanswered"),
)
