"""Drug use: the single-question screen (Smith et al. 2010) gating the DAST-10 (Skinner 1982).

`drug_times` 0 means the DAST is not asked and the drug screen is negative (score 0, band
`none`). `drug_times` >= 1 opens the DAST-10: yes = 1 on every item except item 3 ("always able
to stop"), where no = 1. Bands: 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe.
If DAST items were answered although `drug_times` is 0, they are scored (the higher-risk reading
wins, D3) and `extra["gate_contradiction"]` is set.
"""

from __future__ import annotations

from .base import YES_NO, Gate, Instrument, Item, Scale, Score

KEYS = tuple(f"dast_{n}" for n in range(1, 11))
BANDS = ((0, "none"), (1, "low"), (3, "moderate"), (6, "substantial"), (9, "severe"))
REVERSED = frozenset({"dast_3"})


_TEXTS = (
    "Have you used drugs other than those required for medical reasons?",
    "Do you abuse more than one drug at a time?",
    "Are you always able to stop using drugs when you want to?",
    'Have you had "blackouts" or "flashbacks" as a result of drug use?',
    "Do you ever feel bad or guilty about your drug use?",
    "Does your spouse (or parents) ever complain about your involvement with drugs?",
    "Have you neglected your family because of your use of drugs?",
    "Have you engaged in illegal activities in order to obtain drugs?",
    "Have you ever experienced withdrawal symptoms (felt sick) when you stopped taking drugs?",
    "Have you had medical problems as a result of your drug use (e.g. memory loss, hepatitis, "
    "convulsions, bleeding, etc.)?",
)

DRUG_QUESTION = Item(
    "drug_times",
    "How many times in the past year have you used an illegal drug or used a prescription "
    "medication for non-medical reasons?",
    (),
    kind="integer",
    unit="times",
)

INSTRUMENT = Instrument(
    key="dast",
    name="Single-question drug screen + DAST-10 (Drug Abuse Screening Test)",
    title="Drugs and medicines",
    stem=(
        "The following questions concern information about your possible involvement with "
        "drugs not including alcoholic beverages during the past 12 months. In the statements "
        '"drug abuse" refers to (1) the use of prescribed or over-the-counter drugs in excess '
        "of the directions, and (2) any non-medical use of drugs."
    ),
    items=(
        DRUG_QUESTION,
        *(Item(k, t, YES_NO) for k, t in zip(KEYS, _TEXTS, strict=True)),
    ),
    source=(
        "Smith PC et al. A single-question screening test for drug use in primary care. Arch "
        "Intern Med 2010;170:1155-1160. Skinner HA. The Drug Abuse Screening Test. Addict Behav "
        "1982;7:363-371; DAST-10 (c) 1982 Harvey A. Skinner and CAMH, reproduced for "
        "non-commercial clinical use with credit. LOINC DAST-10 total 82667-7."
    ),
    wording_note=(
        "DAST-10 stem shortened from the published instructions (the 'choose yes or no' "
        "sentences are left to the form)."
    ),
)
TOTAL_LOINC = "82667-7"


def _drug_state(n: object) -> int:
    """The drug question as a gate: 0 unanswered or unreadable, 1 none (0 times), 2 opened."""
    if type(n) is not int:
        return 0
    return 2 if n >= 1 else 1 if n == 0 else 0


SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="dast",  # positive at >= 3 by default
    bands=BANDS,
    reversed=REVERSED,  # item 3 ("always able to stop"): no = 1
    gate=Gate("drug_times", _drug_state, Score(0, "none", False), "DAST-10 unanswered"),
)
