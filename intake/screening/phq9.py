"""PHQ-9 (Patient Health Questionnaire-9; Kroenke, Spitzer, Williams 2001): depression, sum 0-27.

Item 9 is read on its own by the triage rules (U2); here `refused` on item 9 counts as 1, so a
refusal never lowers the total (clinical-reference.md D1).
"""

from __future__ import annotations

from .base import FREQUENCY_0_3, Instrument, Item, Scale

KEYS = tuple(f"phq9_{n}" for n in range(1, 10))
BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe"))
ITEM9_OPTIONS = (*FREQUENCY_0_3, ("refused", "Prefer not to answer"))

_TEXTS = (
    ("Little interest or pleasure in doing things", "44250-9"),
    ("Feeling down, depressed, or hopeless", "44255-8"),
    ("Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    ("Feeling tired or having little energy", "44254-1"),
    ("Poor appetite or overeating", "44251-7"),
    (
        "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
        "your family down",
        "44258-2",
    ),
    (
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        "Moving or speaking so slowly that other people could have noticed? Or the opposite "
        "\u2014 being so fidgety or restless that you have been moving around a lot more than "
        "usual",
        "44253-3",
    ),
    (
        "Thoughts that you would be better off dead or of hurting yourself in some way",
        "44260-8",
    ),
)

INSTRUMENT = Instrument(
    key="phq9",
    name="PHQ-9 (Patient Health Questionnaire-9)",
    title="Mood over the last 2 weeks",
    stem=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    items=tuple(
        Item(key, text, ITEM9_OPTIONS if key == "phq9_9" else FREQUENCY_0_3, loinc=code)
        for key, (text, code) in zip(KEYS, _TEXTS, strict=True)
    ),
    source=(
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med 2001;16:606-613. "
        "Public domain (Pfizer PHQ screeners statement). LOINC panel 44249-1, total 44261-6."
    ),
    loinc="44249-1",
    answer_loinc=((0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9")),
    wording_note=(
        "Item 9 also offers 'Prefer not to answer' (practice addition, read as at least 1)."
    ),
)
TOTAL_LOINC = "44261-6"


SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="phq9_dep",  # positive at >= 10 by default
    bands=BANDS,
    points={"phq9_9": {"refused": 1}},  # a refusal never lowers the total (D1)
)
