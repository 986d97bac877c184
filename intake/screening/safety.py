"""Practice-authored safety items S1-S8.

NOT A VALIDATED INSTRUMENT. These questions were written by the practice (clinical-reference.md
3.1) to catch what the published screens miss: safety right now, harm to others, self-injury,
current mania, psychosis, eating-disorder medical red flags, withdrawal risk, pregnancy. They have
no score and no psychometric evidence; the triage rules read each answer directly.
"""

from __future__ import annotations

from .base import YES_NO, Instrument, Item

INSTRUMENT = Instrument(
    key="safety",
    name="Practice safety questions S1-S8 (practice-authored, not a validated instrument)",
    title="Your safety and health right now",
    stem="These questions help us decide how quickly to reach you.",
    items=(
        Item(
            "safe_now",
            "Are you safe right now?",
            (("yes", "Yes"), ("no", "No"), ("not_sure", "Not sure")),
        ),
        Item(
            "harm_others",
            "In the past month, have you had thoughts of seriously harming someone else?",
            YES_NO,
        ),
        Item(
            "harm_others_intent",
            "Do you intend to act on these thoughts?",
            YES_NO,
        ),
        Item(
            "self_injury",
            "In the past month, have you hurt yourself on purpose without wanting to die "
            "(for example cutting or burning)?",
            YES_NO,
        ),
        Item(
            "mania_now",
            "Right now, are you sleeping much less than usual without feeling tired, AND having "
            "racing thoughts or unusual energy?",
            YES_NO,
        ),
        Item(
            "psychosis",
            "Do you hear or see things that other people don't, or feel that someone is trying "
            "to harm you?",
            YES_NO,
        ),
        Item(
            "ed_red_flags_today",
            "Today, have you fainted, had chest pain, or vomited blood?",
            YES_NO,
        ),
        Item(
            "ed_red_flags_month",
            "In the past month, have you fainted or nearly fainted, had a racing or irregular "
            "heartbeat, or made yourself vomit or used laxatives every day?",
            YES_NO,
        ),
        Item(
            "withdrawal_risk",
            "Do any of these apply: you need a drink in the morning or get the shakes; you have "
            "had seizures or DTs when stopping drinking or drugs; you use opioids or "
            "benzodiazepines that were not prescribed to you?",
            YES_NO,
        ),
        Item(
            "perinatal",
            "Are you pregnant, or have you given birth in the past 12 months?",
            YES_NO,
        ),
    ),
    source="Practice-authored (clinical-reference.md 3.1). Not a validated instrument.",
    wording_verified=False,
    wording_note=(
        "Practice wording, not a published instrument: there is no published text to verify "
        "against. Clinical lead sign-off needed."
    ),
    validated=False,
)
