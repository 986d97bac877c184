"""SCOFF (Morgan, Reid, Lacey, BMJ 1999;319:1467): 5 yes/no, count 0-5, US wording.

Height and weight sit with it on the form (BMI feeds ED_MED in the triage rules); they are not
part of the score.
"""

from __future__ import annotations

from .base import YES_NO, Answers, Instrument, Item, Scale

KEYS = tuple(f"scoff_{n}" for n in range(1, 6))

INSTRUMENT = Instrument(
    key="scoff",
    name="SCOFF questionnaire (US wording)",
    title="Eating and food",
    stem="Please answer yes or no.",
    items=(
        Item(
            "scoff_1", "Do you make yourself throw up because you feel uncomfortably full?", YES_NO
        ),
        Item("scoff_2", "Do you worry you have lost control over how much you eat?", YES_NO),
        Item("scoff_3", "Have you recently lost more than 14 pounds in a 3-month period?", YES_NO),
        Item(
            "scoff_4", "Do you believe yourself to be fat when others say you are too thin?", YES_NO
        ),
        Item("scoff_5", "Would you say that food dominates your life?", YES_NO),
        Item("height_cm", "Your height", (), kind="number", unit="cm"),
        Item("weight_kg", "Your weight", (), kind="number", unit="kg"),
    ),
    source=(
        "Morgan JF, Reid F, Lacey JH. The SCOFF questionnaire: assessment of a new screening tool "
        "for eating disorders. BMJ 1999;319:1467-1468. US adaptation: 'throw up' for 'Sick', "
        "'14 pounds' for 'One stone'. Free with citation."
    ),
    wording_note=(
        "US wording as commonly published; the original capitalises the mnemonic letters "
        "(Sick, Control, One stone, Fat, Food). The stem is the practice's own."
    ),
)

SCALE = Scale(INSTRUMENT, KEYS, cutoff="scoff")  # count of yes; positive at >= 2 by default


def bmi(answers: Answers) -> float | None:
    """Body-mass index from height_cm and weight_kg, or None when either is missing/implausible."""
    h, w = answers.get("height_cm"), answers.get("weight_kg")
    if isinstance(h, bool) or isinstance(w, bool):
        return None
    if not isinstance(h, int | float) or not isinstance(w, int | float):
        return None
    if not (50 <= h <= 250 and 10 <= w <= 400):  # the contract's plausible range; also no NaN
        return None
    return round(w / (h / 100.0) ** 2, 1)
