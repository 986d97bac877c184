"""The 22 worked cases of clinical-reference.md section 5, decided by clinical-rules.md.

Defaults (clinical-rules.md 7): adult, no modality preference, ASQ all no, PHQ-9 item 9 = 0, the
other screens answered and negative, PVS negative, the stated concern matching the case's topic.
Where a case's expected output disagrees with clinical-rules.md sections 3-5, the rules decide
and the row's `note` says which and why.
"""

from __future__ import annotations

from typing import Any

import pytest

from intake.triage import triage


def _spread(total: int, keys: list[str], item_max: int) -> dict[str, int]:
    """Distribute a total over items, filling each up to item_max in order."""
    out = {}
    for key in keys:
        out[key] = min(item_max, total)
        total -= out[key]
    assert total == 0, "total too large for the items"
    return out


def phq9(total: int, item9: int = 0, item1: int | None = None, item2: int | None = None) -> dict:
    fixed = {"phq9_9": item9}
    if item1 is not None:
        fixed["phq9_1"] = item1
    if item2 is not None:
        fixed["phq9_2"] = item2
    free = [f"phq9_{n}" for n in range(1, 9) if f"phq9_{n}" not in fixed]
    return {**fixed, **_spread(total - sum(fixed.values()), free, 3)}


def gad7(total: int) -> dict:
    return _spread(total, [f"gad7_{n}" for n in range(1, 8)], 3)


def pcptsd5(count: int) -> dict:
    return {"pcptsd5_exposure": "yes"} | {
        f"pcptsd5_{n}": "yes" if n <= count else "no" for n in range(1, 6)
    }


def asrs(shaded: int) -> dict:
    # Items 1-3 shaded at Sometimes (2), items 4-6 only at Often (3): the minimum that shades.
    return {f"asrs_{n}": (2 if n <= 3 else 3) if n <= shaded else 1 for n in range(1, 7)}


def mdq(yes: int, same: str = "yes", problem: str = "serious") -> dict:
    return {f"mdq_{n}": "yes" if n <= yes else "no" for n in range(1, 14)} | {
        "mdq_same_period": same,
        "mdq_problem": problem,
    }


def scoff(*yes_items: int) -> dict:
    return {f"scoff_{n}": "yes" if n in yes_items else "no" for n in range(1, 6)}


def auditc(total: int) -> dict:
    return _spread(total, ["auditc_1", "auditc_2", "auditc_3"], 4)


def dast(score: int, times: int = 20) -> dict:
    # Item 3 is reversed: "yes" (always able to stop) scores 0.
    scoring = [1, 2, 4, 5, 6, 7, 8, 9, 10]
    out: dict[str, Any] = {"drug_times": times, "dast_3": "yes"}
    for i, n in enumerate(scoring):
        out[f"dast_{n}"] = "yes" if i < score else "no"
    return out


def oci4(total: int) -> dict:
    return _spread(total, ["oci4_1", "oci4_2", "oci4_3", "oci4_4"], 4)


def csi4(total: int) -> dict:
    out = {"csi4_1": min(6, total)}
    return out | _spread(total - out["csi4_1"], ["csi4_2", "csi4_3", "csi4_4"], 5)


NEGATIVE_SCREENS: dict[str, Any] = (
    {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no"}
    | phq9(0)
    | gad7(0)
    | {"pcptsd5_exposure": "no"}
    | {f"asrs_{n}": 0 for n in range(1, 7)}
    | mdq(0, "no", "none")
    | scoff()
    | auditc(0)
    | {"drug_times": 0}
    | oci4(0)
    | {"pvs_1": "no", "pvs_2": "yes", "pvs_3": "no"}
    | {"safe_now": "yes", "harm_others": "no", "self_injury": "no", "mania_now": "no"}
    | {"psychosis": "no", "ed_red_flags_today": "no", "ed_red_flags_month": "no"}
    | {"withdrawal_risk": "no", "perinatal": "no", "sex": "female"}
)


def intake(concerns: list[str] | None, *parts: dict, **over: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {"age": 35, "state": "NY", **NEGATIVE_SCREENS}
    if concerns is not None:
        answers["concerns"] = concerns
    for part in parts:
        answers.update(part)
    answers.update(over)
    return answers


ASQ_NO = {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no"}

# (case, answers, line, secondary, urgency, modality, the flags set, note)
CASES = [
    (1, intake(["depression"], phq9(13), gad7(6)), "depression", (), "routine", "either", set(),
     "case says virtual; rules M5: no preference -> either (licensure is applied at assignment)"),
    (2, intake(["depression"], phq9(6, item9=1), {"asq_1": "yes", "asq_5": "no"}),
     "depression", (), "urgent", "either", set(),
     "PHQ-9 6 is not DEP, so depression comes from the stated concern (step 7, SL7), not a "
     "positive screen; 'clinician decides' -> M5 either"),
    (3, intake(["depression"], phq9(21), {"asq_3": "yes", "asq_5": "yes"}),
     "depression", (), "crisis", "emergency", set(), ""),
    (4, intake(["depression"], phq9(12),
               {"asq_4": "yes", "asq_4_when": "past_3_months", "asq_5": "no"}),
     "depression", (), "crisis", "emergency", set(), "'per clinician' -> M1 emergency"),
    (5, intake(["not_sure"], pcptsd5(4), phq9(16)), "trauma", ("depression",), "soon", "either",
     set(), "case says virtual; no preference -> either (M5)"),
    (6, intake(["couples"], csi4(9), pcptsd5(4)), "couples", ("trauma",), "soon", "either",
     set(), "case says virtual; no preference -> either (M5)"),
    (7, intake(["couples"], csi4(6), {"pvs_1": "yes", "pvs_2": "no"}), "trauma", ("couples",),
     "urgent", "in_person", {"ipv", "couples_on_hold"}, ""),
    (8, intake(["adhd"], asrs(5), gad7(12)), "adhd", ("anxiety",), "routine", "either",
     {"stimulant_caution"}, "case says virtual; no preference -> either (M5)"),
    (9, intake(["adhd"], asrs(4), gad7(16)), "anxiety", ("adhd",), "soon", "either", set(),
     "case says virtual; no preference -> either (M5)"),
    (10, intake(["adhd"], asrs(5), state="WY"), "adhd", (), "routine", "either", set(),
     "case expects in-person in a licensed state or referral: licensure is applied at "
     "assignment, not in the core (clinical-rules.md 5), so the core says either"),
    (11, intake(["depression"], mdq(9, "yes", "serious"), phq9(18)), "bipolar", ("depression",),
     "soon", "either", set(), "case says virtual; no preference -> either (M5)"),
    (12, intake(["bipolar"], mdq(9, "yes", "serious"), mania_now="yes"), "bipolar", (),
     "urgent", "in_person", set(), ""),
    (13, intake(["eating"], scoff(1, 2, 3, 5), height_cm=167.6, weight_kg=45.4,
                ed_red_flags_month="yes"),
     "eating_disorders", (), "urgent", "in_person", set(),
     "fainted last week = S6b (past month); 'fainting now' (S6a) would be C6 crisis"),
    (14, intake(["eating"], scoff(2, 5), height_cm=170.0, weight_kg=78.0), "eating_disorders",
     (), "soon", "either", set(), "case says virtual; no preference -> either (M5)"),
    (15, intake(["substance"], auditc(10), phq9(11), withdrawal_risk="yes"), "addiction",
     ("depression",), "urgent", "in_person", set(), ""),
    (16, intake(["anxiety"], dast(4, times=20), gad7(11)), "anxiety", ("addiction",), "soon",
     "either", set(), "case says virtual; no preference -> either (M5)"),
    (17, intake(["ocd"], oci4(8), gad7(13)), "ocd", ("anxiety",), "soon", "either", set(),
     "case says virtual; no preference -> either (M5)"),
    (18, intake(["depression"], phq9(14), age=16), "depression", (), "routine", "either",
     {"minor"},
     "case says 'minor pathway, n/a': rules SL9 compute routing and flag minor; staff take the "
     "minor pathway (adult-only referral is a practice decision outside the core)"),
    (19, intake(None, {"asq_2": "yes", "asq_5": "yes"}, age=15), "other", (), "crisis",
     "emergency", {"minor"}, "minor pathway = flag minor; crisis handling unchanged"),
    (20, {"age": 40, "state": "TX", "asq_1": "refused", "asq_2": "refused", "asq_3": "refused",
          "asq_4": "refused", "asq_5": "refused"},
     "other", (), "urgent", "either", {"incomplete"},
     "no explicit yes, so Q5 refused is not C2; refusals make ASQ positive -> U1 urgent; "
     "'clinician decides' -> M5 either"),
    (21, intake(None, phq9(5, item9=3, item1=0, item2=0)), "other", (), "urgent", "either",
     {"inconsistent"}, "no stated concern and PHQ-9 5 -> other; 'clinician decides' -> M5"),
    (22, intake(["other"], modality_preference="in_person"), "other", (), "routine",
     "in_person", set(), ""),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "answers", "line", "secondary", "urgency", "modality", "flags", "note"),
    CASES,
    ids=[f"case{c[0]}" for c in CASES],
)
def test_worked_case(
    case: int,
    answers: dict[str, Any],
    line: str,
    secondary: tuple[str, ...],
    urgency: str,
    modality: str,
    flags: set[str],
    note: str,
) -> None:
    d = triage(answers)
    why = f"case {case} ({note}): reasons {[r.rule for r in d.reasons]}"
    assert d.urgency == urgency, why
    assert d.service_line == line, why
    assert d.secondary_lines == secondary, why
    assert d.modality == modality, why
    assert d.flags == flags, why  # exactly: a new flag on a worked case is a decision change


def test_every_case_is_in_the_table() -> None:
    assert [c[0] for c in CASES] == list(range(1, 23))


def test_case_13_bmi_is_a_warning_sign_on_its_own() -> None:
    answers = intake(["eating"], scoff(1, 2, 3, 5), height_cm=167.6, weight_kg=45.4)
    d = triage(answers)
    assert d.service_line == "eating_disorders" and d.urgency == "urgent"


def test_case_13_fainting_today_is_a_medical_emergency() -> None:
    d = triage(intake(["eating"], scoff(1, 2), ed_red_flags_today="yes"))
    assert d.urgency == "crisis" and d.modality == "emergency"
    assert "C6" in [r.rule for r in d.reasons]


def test_case_2_fires_both_u1_and_u2_in_order() -> None:
    d = triage(CASES[1][1])
    rules = [r.rule for r in d.reasons]
    assert rules.index("U1") < rules.index("U2")
    assert "inconsistent" not in d.flags  # ASQ was not all no


def test_case_21_names_the_contradiction() -> None:
    rules = [r.rule for r in triage(CASES[20][1]).reasons]
    assert {"U2", "D3a", "D3b"} <= set(rules)


def test_d2_partial_phq9_reaching_15_is_at_least_soon() -> None:
    """clinical-rules.md D2's own example: PHQ-9 items summing 17 with two items missing."""
    answers = intake(["depression"], phq9(17))
    for key in ("phq9_7", "phq9_8"):  # both 0 in phq9(17): the answered items still sum to 17
        del answers[key]
    d = triage(answers)
    assert d.urgency == "soon" and d.service_line == "depression"
    assert d.flags == {"partial:phq9"}
    assert "S1a" in [r.rule for r in d.reasons]
