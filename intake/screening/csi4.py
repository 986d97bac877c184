"""CSI-4 (Couples Satisfaction Index; Funk and Rogge, J Fam Psychol 2007;21:572): sum 0-21.

Below 13.5 marks notable relationship distress; here `positive` means "distress" (it confirms the
COUPLES domain). Item 1 is 0-6, items 2-4 are 0-5.
"""

from __future__ import annotations

from .base import Instrument, Item, Scale

KEYS = ("csi4_1", "csi4_2", "csi4_3", "csi4_4")
HAPPINESS = (
    (0, "Extremely unhappy"),
    (1, "Fairly unhappy"),
    (2, "A little unhappy"),
    (3, "Happy"),
    (4, "Very happy"),
    (5, "Extremely happy"),
    (6, "Perfect"),
)
TRUE_SCALE = (
    (0, "Not at all true"),
    (1, "A little true"),
    (2, "Somewhat true"),
    (3, "Mostly true"),
    (4, "Almost completely true"),
    (5, "Completely true"),
)
AMOUNT_SCALE = (
    (0, "Not at all"),
    (1, "A little"),
    (2, "Somewhat"),
    (3, "Mostly"),
    (4, "Almost completely"),
    (5, "Completely"),
)
INSTRUMENT = Instrument(
    key="csi4",
    name="CSI-4 (Couples Satisfaction Index, 4-item)",
    title="Your relationship",
    stem="Please answer about your relationship with your partner.",
    items=(
        Item(
            "csi4_1",
            "Please indicate the degree of happiness, all things considered, of your relationship.",
            HAPPINESS,
        ),
        Item("csi4_2", "I have a warm and comfortable relationship with my partner.", TRUE_SCALE),
        Item("csi4_3", "How rewarding is your relationship with your partner?", AMOUNT_SCALE),
        Item("csi4_4", "In general, how satisfied are you with your relationship?", AMOUNT_SCALE),
    ),
    source=(
        "Funk JL, Rogge RD. Testing the ruler with item response theory: increasing precision of "
        "measurement for relationship satisfaction with the Couples Satisfaction Index. J Fam "
        "Psychol 2007;21:572-583. Free from the authors' lab for research and clinical use."
    ),
    wording_verified=False,
    wording_note=(
        "NOT CONFIRMED: item texts and answer labels are as commonly reproduced from Funk and "
        "Rogge 2007; confirm the exact wording and terms on the authors' lab site before go-live "
        "(clinical-reference.md 6)."
    ),
)

# Distress (`positive`) below the cutoff, 13.5 by default; the bands follow the cutoff.
SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="csi4_distress",
    positive_below=True,
    bands=((0, "distress"), ("cutoff", "no_distress")),
)
