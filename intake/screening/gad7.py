"""GAD-7 (Generalized Anxiety Disorder-7; Spitzer, Kroenke, Williams, Lowe 2006): sum 0-21.

The 0 anchor is "Not at all" (not "Not at all sure", a common misprint: Zorowitz 2021).
"""

from __future__ import annotations

from .base import FREQUENCY_0_3, Instrument, Item, Scale

KEYS = tuple(f"gad7_{n}" for n in range(1, 8))
BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))

_TEXTS = (
    ("Feeling nervous, anxious, or on edge", "69725-0"),
    ("Not being able to stop or control worrying", "68509-9"),
    ("Worrying too much about different things", "69733-4"),
    ("Trouble relaxing", "69734-2"),
    ("Being so restless that it is hard to sit still", "69735-9"),
    ("Becoming easily annoyed or irritable", "69689-8"),
    ("Feeling afraid, as if something awful might happen", "69736-7"),
)

INSTRUMENT = Instrument(
    key="gad7",
    name="GAD-7 (Generalized Anxiety Disorder-7)",
    title="Worry and nerves over the last 2 weeks",
    stem=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=tuple(
        Item(key, text, FREQUENCY_0_3, loinc=code)
        for key, (text, code) in zip(KEYS, _TEXTS, strict=True)
    ),
    source=(
        "Spitzer RL, Kroenke K, Williams JBW, Lowe B. A brief measure for assessing generalized "
        "anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097. Public domain. "
        "LOINC panel 69737-5, total 70274-6."
    ),
    loinc="69737-5",
    answer_loinc=((0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9")),
)
TOTAL_LOINC = "70274-6"

SCALE = Scale(INSTRUMENT, KEYS, cutoff="gad7_anx", bands=BANDS)  # positive at >= 10 by default
