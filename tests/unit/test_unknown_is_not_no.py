"""Unknown is never "no" (clinical-rules.md 1 D2, 2 and 4.10): partly answered scales, the
`incomplete` flag, couples work with the partner-violence screen unanswered, and eating-disorder
medical risk unknown.
"""

from __future__ import annotations

from typing import Any

import pytest

from intake.screening import INSTRUMENTS, SUMMED
from intake.triage import PARTIAL_FLAG, RULES_PATH, default_ruleset, parse_ruleset, triage

ASQ_NO = {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no"}
S_ITEMS_NO = {
    "safe_now": "yes",
    "harm_others": "no",
    "self_injury": "no",
    "mania_now": "no",
    "psychosis": "no",
    "perinatal": "no",
}
# Only the required safety questions: ASQ 1-4, PHQ-9 item 9, safe_now, and the S-items.
SAFETY_ONLY: dict[str, Any] = {"age": 30, "state": "NY", **ASQ_NO, "phq9_9": 0, **S_ITEMS_NO}


def items(prefix: str, *values: Any) -> dict[str, Any]:
    """Items 1.. of a scale; None leaves that item unanswered."""
    return {f"{prefix}_{n}": v for n, v in enumerate(values, 1) if v is not None}


def rules(d: Any) -> list[str]:
    return [r.rule for r in d.reasons]


# --- point 5: a partly answered scale decides by what is known ---------------------------------

# (label, answers, urgency at least, a rule that must fire, the partial flag)
PARTIAL_CROSSES = [
    ("PHQ-9 7 of 9 items (1-6 and 9) summing 17 is at least soon (15-19)",
     items("phq9", 3, 3, 3, 3, 3, 2), "soon", "S1a", "partial:phq9"),
    ("PHQ-9 7 of 9 items (1-7) summing 20 is severe: urgent",
     items("phq9", 3, 3, 3, 3, 3, 3, 2) | {"phq9_9": None}, "urgent", "U5a", "partial:phq9"),
    ("GAD-7 5 of 7 items summing 15 is severe anxiety: soon",
     items("gad7", 3, 3, 3, 3, 3), "soon", "S1b", "partial:gad7"),
    ("PC-PTSD-5 3 yes, 2 unanswered: trauma screen positive",
     {"pcptsd5_exposure": "yes", **items("pcptsd5", "yes", "yes", "yes")}, "soon", "S1c",
     "partial:pcptsd5"),
    ("DAST-10 3 points, 7 unanswered: drug screen positive",
     {"drug_times": 20, **items("dast", "yes", "yes", "no")}, "soon", "S1f", "partial:dast"),
    ("AUDIT-C 4 on item 1, 2 unanswered: alcohol screen positive",
     items("auditc", 4), "soon", "S1g", "partial:auditc"),
    ("SCOFF 2 yes, 3 unanswered: eating screen positive",
     items("scoff", "yes", "yes"), "soon", "S1e", "partial:scoff"),
    ("OCI-4 4 on 2 items, 2 unanswered: obsessive-compulsive screen positive",
     items("oci4", 2, 2), "soon", "S1h", "partial:oci4"),
    ("DAST-10 6 points, 4 unanswered: severe drug use, urgent",
     {"drug_times": 20, **items("dast", "yes", "yes", "no", "yes", "yes", "yes", "yes")},
     "urgent", "U5d", "partial:dast"),
]  # fmt: skip

RANK = {"crisis": 0, "urgent": 1, "soon": 2, "routine": 3}


@pytest.mark.parametrize(
    ("label", "answers", "at_least", "rule", "flag"),
    PARTIAL_CROSSES,
    ids=[c[0] for c in PARTIAL_CROSSES],
)
def test_a_partial_scale_whose_answered_items_cross_a_cutoff_fires_as_if_complete(
    label: str, answers: dict[str, Any], at_least: str, rule: str, flag: str
) -> None:
    d = triage(SAFETY_ONLY | answers)
    assert RANK[d.urgency] <= RANK[at_least], (label, d.urgency, rules(d))
    assert rule in rules(d), label
    assert flag in d.flags, label


def test_the_reason_tells_staff_how_high_a_partial_score_could_be() -> None:
    d = triage(SAFETY_ONLY | items("phq9", 3, 3, 3, 3, 3, 2))  # and item 9 at 0
    (d2,) = [r for r in d.reasons if r.rule == "D2"]
    assert "PHQ-9" in d2.text and "7 of 9" in d2.text and "17" in d2.text
    assert "as high as 23" in d2.text
    assert rules(d)[-1] == "D2"  # after the rules' own reasons
    assert d.scores["phq9"].positive is True and d.scores["phq9"].score is None


def test_a_partial_scale_that_could_still_cross_stays_unknown_but_is_flagged() -> None:
    d = triage(SAFETY_ONLY | items("phq9", 1, 1, 1, 1, 1, 1, 2) | {"phq9_9": None})  # 8 to 14
    assert d.urgency == "routine" and "partial:phq9" in d.flags
    assert d.scores["phq9"].positive is None  # DEP could be reached: unknown, not "no"
    assert any("as high as 14" in r.text for r in d.reasons if r.rule == "D2")


def test_one_missing_item_is_prorated_and_flagged_partial() -> None:
    d = triage(SAFETY_ONLY | items("phq9", 2, 2, 2, 2, 1, 1, 0))  # item 8 missing, 9 at 0
    assert {"prorated", "partial:phq9"} <= d.flags
    assert d.scores["phq9"].score == 11  # 10 / 8 x 9, rounded half up (D2)
    (d2,) = [r for r in d.reasons if r.rule == "D2"]
    assert "scored 11" in d2.text and "between 10 and 13" in d2.text


def test_complete_and_unasked_scales_are_not_partial() -> None:
    d = triage(SAFETY_ONLY | items("phq9", 0, 0, 0, 0, 0, 0, 0, 0) | items("gad7", *[1] * 7))
    assert not {f for f in d.flags if f.startswith("partial:")}
    assert "prorated" not in d.flags and "D2" not in rules(d)


def test_a_gated_scale_not_opened_is_not_partial() -> None:
    d = triage(SAFETY_ONLY | {"pcptsd5_exposure": "no", "drug_times": 0})
    assert "partial:pcptsd5" not in d.flags and "partial:dast" not in d.flags


def test_an_opened_gate_with_nothing_answered_is_partial() -> None:
    d = triage(SAFETY_ONLY | {"pcptsd5_exposure": "yes", "drug_times": 3})
    assert {"partial:pcptsd5", "partial:dast"} <= d.flags


def test_every_summed_scale_has_a_partial_flag_and_readable_name() -> None:
    assert set(PARTIAL_FLAG) == set(SUMMED)
    for prefix, flag in PARTIAL_FLAG.items():
        assert flag == f"partial:{prefix}" and INSTRUMENTS[prefix].name


# --- point 6: `incomplete` (rule 10) -----------------------------------------------------------

INCOMPLETE = [
    ("only the safety questions, no concerns key", SAFETY_ONLY, True),
    ("only the safety questions, concerns: [] (no concern stated)",
     SAFETY_ONLY | {"concerns": []}, True),
    ("PHQ-9 item 9 alone is a safety item, not a screening instrument",
     SAFETY_ONLY | {"phq9_9": 2, "concerns": []}, True),
    ("ASQ answered yes is still only a safety item",
     SAFETY_ONLY | {"asq_1": "yes", "asq_5": "no"}, True),
    ("a concern stated", SAFETY_ONLY | {"concerns": ["anxiety"]}, False),
    ("'not sure' is a stated answer", SAFETY_ONLY | {"concerns": ["not_sure"]}, False),
    ("PHQ-9 item 1 answered", SAFETY_ONLY | {"phq9_1": 0}, False),
    ("GAD-7 item 1 answered", SAFETY_ONLY | {"gad7_1": 0}, False),
    ("the drug question answered", SAFETY_ONLY | {"drug_times": 0}, False),
    ("the trauma gate answered", SAFETY_ONLY | {"pcptsd5_exposure": "no"}, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "answers", "incomplete"), INCOMPLETE, ids=[c[0] for c in INCOMPLETE]
)
def test_incomplete_follows_rule_10(label: str, answers: dict[str, Any], incomplete: bool) -> None:
    d = triage(answers)
    assert ("incomplete" in d.flags) is incomplete, (label, rules(d))
    if incomplete:
        assert d.service_line == "other"
        assert "incomplete" in default_ruleset().hold_flags


# --- point 7: PVS unanswered with couples work; ED medical risk unknown --------------------------

CSI4_DISTRESS = items("csi4", 1, 1, 1, 1)
CSI4_FINE = items("csi4", 6, 5, 5, 5)
PVS_NEGATIVE = {"pvs_1": "no", "pvs_2": "yes", "pvs_3": "no"}

PVS_UNKNOWN = [
    ("couples, PVS unanswered", {"concerns": ["couples"], **CSI4_DISTRESS}, "couples", True),
    ("couples, PVS partly answered and nothing positive",
     {"concerns": ["couples"], **CSI4_DISTRESS, "pvs_1": "no"}, "couples", True),
    ("relationships with a partner joining, PVS unanswered",
     {"concerns": ["relationships"], "partner_willing": "yes", **CSI4_DISTRESS}, "couples", True),
    ("relationships with a partner joining, no distress on CSI-4: still the couples line",
     {"concerns": ["relationships"], "partner_willing": "yes", **CSI4_FINE}, "couples", True),
    ("couples, PVS answered and negative",
     {"concerns": ["couples"], **CSI4_DISTRESS, **PVS_NEGATIVE}, "couples", False),
    ("couples, PVS positive: individual trauma care instead",
     {"concerns": ["couples"], **CSI4_DISTRESS, "pvs_1": "yes"}, "trauma", False),
    ("relationships without a partner joining: individual therapy",
     {"concerns": ["relationships"], "partner_willing": "no"}, "other", False),
    ("no couples work asked for", {"concerns": ["anxiety"]}, "anxiety", False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "answers", "line", "unknown"), PVS_UNKNOWN, ids=[c[0] for c in PVS_UNKNOWN]
)
def test_couples_work_with_pvs_unanswered_is_held_for_a_coordinator(
    label: str, answers: dict[str, Any], line: str, unknown: bool
) -> None:
    d = triage(SAFETY_ONLY | answers)
    assert d.service_line == line, (label, rules(d))
    assert ("pvs_unknown" in d.flags) is unknown, (label, rules(d))
    held = bool(d.flags & default_ruleset().hold_flags)
    if unknown:
        assert held and "IPV3" in rules(d)
        assert "coordinator" in next(r.text for r in d.reasons if r.rule == "IPV3")


def test_pvs_item_1_asks_about_a_partner_only() -> None:
    item = INSTRUMENTS["pvs"].item("pvs_1")
    assert "partner" in item.text and "someone" not in item.text and "whom" not in item.text
    assert [v for v, _ in item.options] == ["yes", "no"]
    # only that answer counts: hurt (by a partner) is positive on its own
    assert triage({"pvs_1": "yes"}).scores["pvs"].positive is True


SCOFF_2 = items("scoff", "yes", "yes", "no", "no", "no")
ED_UNKNOWN = [
    ("height and weight skipped", {}, True),
    ("weight skipped", {"height_cm": 165.0}, True),
    ("both given, BMI 22", {"height_cm": 165.0, "weight_kg": 60.0}, False),
    ("skipped, but a warning sign this month decides", {"ed_red_flags_month": "yes"}, False),
]


@pytest.mark.parametrize(("label", "extra", "flagged"), ED_UNKNOWN, ids=[c[0] for c in ED_UNKNOWN])
def test_eating_disorder_medical_risk_unknown_is_flagged(
    label: str, extra: dict[str, Any], flagged: bool
) -> None:
    answers = SAFETY_ONLY | {"concerns": ["eating"], "ed_red_flags_today": "no"} | SCOFF_2
    d = triage(answers | {"ed_red_flags_month": "no"} | extra)
    assert ("ed_med_unknown" in d.flags) is flagged, (label, rules(d))
    assert d.service_line == "eating_disorders"


def test_no_eating_screen_no_ed_flag() -> None:
    assert "ed_med_unknown" not in triage(SAFETY_ONLY | {"concerns": ["anxiety"]}).flags


# --- score conditions on a partly answered scale read its bounds --------------------------------

_PROBES = {
    "Q1": '{ score = "phq9", gte = 15 }',
    "Q2": '{ score = "phq9", lt = 20 }',
    "Q3": '{ score = "phq9", between = [10, 23] }',
    "Q4": '{ score = "phq9", eq = 17 }',
    "Q5": '{ score = "phq9", band = "moderately severe" }',
}
BOUNDED = parse_ruleset(
    (
        RULES_PATH.read_text(encoding="utf-8")
        + "".join(
            f'\n[[flags]]\nid = "{rid}"\nwhen = {cond}\nflags = ["inconsistent"]\nreason = "x"\n'
            for rid, cond in _PROBES.items()
        )
    ).encode(),
    "bounded.toml",
)


@pytest.mark.parametrize(
    ("label", "answers", "fired"),
    [
        (
            "known total 17",
            items("phq9", 3, 3, 3, 3, 3, 2, 0, 0, 0),
            {"Q1", "Q2", "Q3", "Q4", "Q5"},
        ),
        # 7 answered summing 17: the total is 17 to 23; only what every total in it satisfies
        ("17 to 23", items("phq9", 3, 3, 3, 3, 3, 2, 0), {"Q1", "Q3"}),
        # 7 answered summing 10: 10 to 16
        ("10 to 16", items("phq9", 2, 2, 2, 2, 2, 0, 0), {"Q2", "Q3"}),
        # 6 answered summing 14: 14 to 23 ... and 5 answered summing 14: 14 to 26
        ("14 to 23", items("phq9", 3, 3, 3, 3, 2, 0), {"Q3"}),
        ("14 to 26", items("phq9", 3, 3, 3, 3, 2), set()),
    ],
)
def test_score_conditions_decide_from_the_bounds(
    label: str, answers: dict[str, Any], fired: set[str]
) -> None:
    got = {r.rule for r in triage(answers, BOUNDED).reasons} & set(_PROBES)
    assert got == fired, label
