"""AUDIT-C (Bush et al. 1998; AUDIT items 1-3): alcohol, sum 0-12.

Positive at >= 4 for `male`, >= 3 otherwise (female, other, unspecified or missing sex:
clinical-reference.md 2.9). >= 8 is treated as severe. Someone who answers "Never" to item 1 is
not asked items 2-3, which then count 0 (not missing).
"""

from __future__ import annotations

from .base import Instrument, Item, Scale

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

SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="auditc_other",  # >= 3 for female, other, unspecified or missing sex
    cutoff_male="auditc_male",  # >= 4 for male
    bands=((0, "negative"), ("cutoff", "positive"), ("auditc_severe", "severe")),
    zero_when=("auditc_1", 0),  # "Never": items 2-3 are not asked and count 0
)
