"""Which questionnaire blocks the form shows (intake/public/pages.py): MDQ for low mood."""

from __future__ import annotations

from typing import Any

import pytest

from intake.public.pages import BY_NAME, PAGES, shown_keys

EXPERIENCES = BY_NAME["experiences"]

# (label, saved answers, MDQ shown)
MDQ_SHOWN = [
    ("PHQ-9 item 1 (little interest) at 1", {"phq9_1": 1, "phq9_2": 0}, True),
    ("PHQ-9 item 2 (feeling down) at 3", {"phq9_1": 0, "phq9_2": 3}, True),
    ("low mood without any concern stated", {"phq9_2": 2, "concerns": []}, True),
    ("low mood with an unrelated concern", {"phq9_1": 1, "concerns": ["adhd"]}, True),
    ("depression stated", {"concerns": ["depression"]}, True),
    ("bipolar stated", {"concerns": ["bipolar"], "phq9_1": 0, "phq9_2": 0}, True),
    ("no low mood, unrelated concern", {"phq9_1": 0, "phq9_2": 0, "concerns": ["adhd"]}, False),
    ("PHQ-9 not answered yet, no concern", {}, False),
    ("only other PHQ-9 items raised", {"phq9_1": 0, "phq9_2": 0, "phq9_3": 3, "phq9_4": 3},
     False),
]  # fmt: skip


@pytest.mark.parametrize(("label", "answers", "shown"), MDQ_SHOWN, ids=[c[0] for c in MDQ_SHOWN])
def test_mdq_is_asked_of_everyone_reporting_low_mood(
    label: str, answers: dict[str, Any], shown: bool
) -> None:
    keys = shown_keys(EXPERIENCES, answers)
    assert ({"mdq_1", "mdq_13", "mdq_same_period", "mdq_problem"} <= keys) is shown, label
    assert ("mdq_1" in keys) is shown, label


def test_phq9_is_asked_before_the_page_that_decides_on_mdq() -> None:
    names = [p.name for p in PAGES]
    assert names.index("mood") < names.index("experiences")
