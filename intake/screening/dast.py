"""Drug use: the single-question screen (Smith et al. 2010) gating the DAST-10 (Skinner 1982).

`drug_times` 0 means the DAST is not asked and the drug screen is negative (score 0, band
`none`). `drug_times` >= 1 opens the DAST-10: yes = 1 on every item except item 3 ("always able
to stop"), where no = 1. Bands: 0 none, 1-2 low, 3-5 moderate, 6-8 substantial, 9-10 severe.
If DAST items were answered although `drug_times` is 0, they are scored (the higher-risk reading
wins, D3) and `extra["gate_contradiction"]` is set.
"""

from __future__ import annotations

from .base import (
    DEFAULT_CUTOFFS,
    NOT_ASKED,
    YES_1,
    YES_NO,
    Answers,
    Instrument,
    Item,
    Points,
    Score,
    band_for,
    scored,
    tally,
    tally_pairs,
)

KEYS = tuple(f"dast_{n}" for n in range(1, 11))
BANDS = ((0, "none"), (1, "low"), (3, "moderate"), (6, "substantial"), (9, "severe"))
REVERSED = frozenset({"dast_3"})


def _opened(answers: Answers) -> bool:
    n = answers.get("drug_times")
    return type(n) is int and n >= 1


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
        *(
            Item(k, t, YES_NO, asked_if=_opened, asked_if_text="drug_times is 1 or more")
            for k, t in zip(KEYS, _TEXTS, strict=True)
        ),
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


_REVERSED_POINTS: dict[object, int] = {"yes": 0, "no": 1}
_TABLES: tuple[Points, ...] = tuple(_REVERSED_POINTS if k in REVERSED else YES_1 for k in KEYS)
_PAIRS = tuple(zip(KEYS, _TABLES, strict=True))
_NONE_USED = Score(0, "none", False)  # immutable: shared by every intake


def item_points(key: str, value: object) -> int | None:
    """DAST point for one answer: yes = 1, except item 3 where no = 1."""
    t = tally({key: value}, (key,), (_TABLES[KEYS.index(key)],), 1)
    return t.total if t.answered else None


def score(
    answers: Answers,
    cutoff: int = DEFAULT_CUTOFFS.dast,
) -> Score:
    """DAST-10 total 0-10 with bands; positive at >= cutoff (default 3)."""
    t = tally_pairs(answers, _PAIRS, 1)
    times = answers.get("drug_times")
    none_used = type(times) is int and times == 0
    if none_used and (not t.answered or t.low == 0):
        return _NONE_USED
    if not t.answered:
        if _opened(answers):
            return Score(
                None, None, None, extra={"unknown": "DAST-10 unanswered", "drug_times": times}
            )
        return NOT_ASKED
    positive = None if t.total is None else t.total >= cutoff
    extra: dict[str, object] = {"drug_times": times}
    if none_used:
        extra["gate_contradiction"] = True
    return scored(t, positive, band_for(t.total, BANDS), **extra)
