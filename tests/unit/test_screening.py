"""Scoring of every instrument, with the pitfalls of clinical-reference.md section 2."""

from __future__ import annotations

from typing import Any

import pytest

from intake.screening import (
    INSTRUMENTS,
    NOT_ASKED,
    SAFETY,
    SCALES,
    SUMMED,
    asq,
    asrs,
    auditc,
    csi4,
    dast,
    ecrrs,
    gad7,
    mdq,
    oci4,
    pcptsd5,
    phq9,
    pvs,
    scoff,
    score_all,
)
from intake.screening.base import Cutoffs, Scale
from intake.triage import VOCABULARY


def items(prefix: str, values: list[Any], start: int = 1) -> dict[str, Any]:
    return {f"{prefix}_{n}": v for n, v in enumerate(values, start) if v is not None}


# --- PHQ-9 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "score", "band", "positive", "prorated"),
    [
        ([0] * 9, 0, "minimal", False, False),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", False, False),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", False, False),
        ([3, 3, 3, 0, 0, 0, 0, 0, 0], 9, "mild", False, False),
        ([3, 3, 3, 1, 0, 0, 0, 0, 0], 10, "moderate", True, False),
        ([3, 3, 3, 3, 2, 0, 0, 0, 0], 14, "moderate", True, False),
        ([3, 3, 3, 3, 3, 0, 0, 0, 0], 15, "moderately severe", True, False),
        ([3, 3, 3, 3, 3, 3, 1, 0, 0], 19, "moderately severe", True, False),
        ([3, 3, 3, 3, 3, 3, 2, 0, 0], 20, "severe", True, False),
        ([3] * 9, 27, "severe", True, False),
        ([0, 0, 0, 0, 0, 0, 0, 0, "refused"], 1, "minimal", False, False),
        ([1, 1, 1, 1, 1, 1, 1, 1, "refused"], 9, "mild", False, False),
        # one missing: mean x 9, rounded half up: 10/8*9 = 11.25 -> 11
        ([2, 2, 2, 2, 1, 1, 0, 0, None], 11, "moderate", True, True),
        # 9/8*9 = 10.125 -> 10: prorating can cross the cutoff
        ([2, 2, 2, 1, 1, 1, 0, None, 0], 10, "moderate", True, True),
        # two missing: the total is unknown, but the answered 21 already reach 10 (D2) ...
        ([3, 3, 3, 3, 3, 3, 3, None, None], None, None, True, False),
        # ... and 3 + two missing at 3 = 9 cannot: negative; 4 + 6 = 10 could: unknown
        ([1, 1, 1, 0, 0, 0, 0, None, None], None, None, False, False),
        ([2, 1, 1, 0, 0, 0, 0, None, None], None, None, None, False),
        ([3, 3, 3, 1, 0, 0, 0, None, None], None, None, True, False),
    ],
)
def test_phq9(values: list[Any], score: Any, band: Any, positive: Any, prorated: bool) -> None:
    s = phq9.SCALE.score(items("phq9", values))
    assert (s.score, s.band, s.positive, s.prorated) == (score, band, positive, prorated)


def test_phq9_nothing_answered_is_not_asked() -> None:
    assert phq9.SCALE.score({}) is NOT_ASKED


def test_phq9_cutoff_is_a_parameter() -> None:
    answers = items("phq9", [3, 3, 2, 0, 0, 0, 0, 0, 0])
    assert phq9.SCALE.score(answers).positive is False
    assert phq9.SCALE.score(answers, Cutoffs(phq9_dep=8)).positive is True


def test_phq9_unknown_total_keeps_bounds_for_triage() -> None:
    s = phq9.SCALE.score(items("phq9", [3, 3, 3, 3, 3, 3, 3, None, None]))
    assert s.score is None and s.extra["low"] == 21 and s.extra["high"] == 27


def test_phq9_wording_and_codes() -> None:
    inst = INSTRUMENTS["phq9"]
    assert inst.stem == (
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    )
    assert inst.item("phq9_9").loinc == "44260-8"
    assert inst.item("phq9_9").text.startswith("Thoughts that you would be better off dead")
    assert dict(inst.answer_loinc) == {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
    assert inst.loinc == "44249-1"


# --- GAD-7 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band", "positive"),
    [(0, "minimal", False), (4, "minimal", False), (5, "mild", False), (9, "mild", False),
     (10, "moderate", True), (14, "moderate", True), (15, "severe", True), (21, "severe", True)],
)  # fmt: skip
def test_gad7_bands(total: int, band: str, positive: bool) -> None:
    values = []
    for _ in range(7):
        values.append(min(3, total))
        total -= values[-1]
    s = gad7.SCALE.score(items("gad7", values))
    assert (s.band, s.positive) == (band, positive)


def test_gad7_zero_anchor_is_not_at_all() -> None:
    for item in INSTRUMENTS["gad7"].items:
        assert item.options[0] == (0, "Not at all")


def test_gad7_one_missing_prorated_two_unknown() -> None:
    assert gad7.SCALE.score(items("gad7", [2, 2, 2, 2, 2, 2, None])).score == 14  # mean 2 x 7
    s = gad7.SCALE.score(items("gad7", [2, 2, 2, 2, 2, None, None]))
    assert (s.score, s.positive) == (None, True)  # the answered 10 already reach the cutoff
    assert s.extra == {"low": 10, "high": 16, "answered": 5, "items": 7}
    s = gad7.SCALE.score(items("gad7", [2, 2, 2, 1, 1, None, None]))
    assert (s.score, s.positive) == (None, None)  # 8 answered, could be 14


# --- ASQ ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "band", "positive"),
    [
        ({"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no"}, "negative", False),
        ({"asq_1": "yes", "asq_2": "no", "asq_3": "no", "asq_4": "no", "asq_5": "no"},
         "non_acute", True),
        ({"asq_1": "no", "asq_2": "no", "asq_3": "yes", "asq_4": "no", "asq_5": "yes"},
         "acute", True),
        ({"asq_1": "refused", "asq_2": "no", "asq_3": "no", "asq_4": "no"}, "non_acute", True),
        ({"asq_1": "no", "asq_2": "no", "asq_3": "no"}, None, None),  # item 4 missing: unknown
        ({"asq_4": "yes"}, "non_acute", True),  # a yes decides even with others missing
    ],
)  # fmt: skip
def test_asq(answers: dict[str, Any], band: Any, positive: Any) -> None:
    s = asq.score(answers)
    assert (s.score, s.band, s.positive) == (None, band, positive)


def test_asq_item5_shown_only_after_a_positive() -> None:
    """The branching lives in the questionnaire definition, not in the instrument."""
    from intake.questionnaire import is_shown

    assert not is_shown("asq_5", {"asq_1": "no"})
    assert is_shown("asq_5", {"asq_2": "refused"})


# --- PC-PTSD-5 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "score", "positive"),
    [
        ({"pcptsd5_exposure": "no"}, 0, False),
        ({"pcptsd5_exposure": "yes"} | items("pcptsd5", ["yes", "yes", "no", "no", "no"]), 2,
         False),
        ({"pcptsd5_exposure": "yes"} | items("pcptsd5", ["yes", "yes", "yes", "no", "no"]), 3,
         True),
        ({"pcptsd5_exposure": "yes"} | items("pcptsd5", ["yes"] * 5), 5, True),
        # one missing: 3 of 4 yes -> 3.75 -> 4
        ({"pcptsd5_exposure": "yes"} | items("pcptsd5", ["yes", "yes", "yes", "no", None]), 4,
         True),
        ({"pcptsd5_exposure": "yes"}, None, None),  # exposed, items unanswered: unknown
    ],
)  # fmt: skip
def test_pcptsd5(answers: dict[str, Any], score: Any, positive: Any) -> None:
    s = pcptsd5.SCALE.score(answers)
    assert (s.score, s.positive) == (score, positive)


def test_pcptsd5_gate_and_cutoff() -> None:
    assert pcptsd5.SCALE.score({}) is NOT_ASKED
    three = {"pcptsd5_exposure": "yes"} | items("pcptsd5", ["yes", "yes", "yes", "no", "no"])
    assert pcptsd5.SCALE.score(three, Cutoffs(pcptsd5=4)).positive is False
    contradiction = {"pcptsd5_exposure": "no"} | items("pcptsd5", ["yes", "yes", "yes"])
    s = pcptsd5.SCALE.score(
        contradiction
    )  # two items missing: unknown, but the contradiction shows
    assert s.extra.get("gate_contradiction") is True
    full = {"pcptsd5_exposure": "no"} | items("pcptsd5", ["yes", "yes", "yes", "no", "no"])
    assert (pcptsd5.SCALE.score(full).score, pcptsd5.SCALE.score(full).positive) == (3, True)


# --- ASRS Part A -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "value", "shaded"),
    [(n, v, int(v >= (2 if n <= 3 else 3))) for n in range(1, 7) for v in range(5)],
)
def test_asrs_shaded_threshold_per_item(item: int, value: int, shaded: int) -> None:
    assert asrs.SCALE.item_points(f"asrs_{item}", value) == shaded


@pytest.mark.parametrize(
    ("values", "score", "positive"),
    [
        ([2, 2, 2, 2, 2, 2], 3, False),  # sum 12, only items 1-3 shaded: a sum would mislead
        ([2, 2, 2, 3, 0, 0], 4, True),
        ([4, 4, 4, 0, 0, 0], 3, False),  # sum 12 again, still 3
        ([1, 1, 1, 3, 3, 3], 3, False),
        ([3, 3, 3, 3, 3, 3], 6, True),
        ([2, 2, 2, 3, 3, None], 6, True),  # one missing: 5/5*6
        ([2, 2, 2, 3, None, None], None, True),  # two missing, but 4 shaded already (D2)
        ([2, 2, 0, 0, None, None], None, None),  # 2 shaded, 2 missing: could be 4
        ([0, 0, 0, 0, None, None], None, False),  # at most 2 shaded
    ],
)
def test_asrs_counts_shaded_boxes_never_a_sum(values: list[Any], score: Any, positive: Any) -> None:
    s = asrs.SCALE.score(items("asrs", values))
    assert (s.score, s.positive) == (score, positive)


# --- MDQ ---------------------------------------------------------------------------------------


def _mdq(yes: int, same: str | None, problem: str | None) -> dict[str, Any]:
    a: dict[str, Any] = {f"mdq_{n}": "yes" if n <= yes else "no" for n in range(1, 14)}
    if same:
        a["mdq_same_period"] = same
    if problem:
        a["mdq_problem"] = problem
    return a


@pytest.mark.parametrize(
    ("yes", "same", "problem", "positive"),
    [
        (7, "yes", "moderate", True),
        (13, "yes", "serious", True),
        (6, "yes", "serious", False),  # part 1 fails
        (7, "no", "serious", False),  # part 2 fails
        (7, "yes", "minor", False),  # part 3 fails
        (7, "yes", "none", False),
        (7, "yes", None, None),  # part 3 unknown
        (3, "yes", None, False),  # a failed part decides even with another unknown
    ],
)
def test_mdq_three_part_rule(yes: int, same: Any, problem: Any, positive: Any) -> None:
    s = mdq.SCALE.score(_mdq(yes, same, problem))
    assert (s.score, s.positive) == (yes, positive)


# --- SCOFF -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "score", "positive"),
    [(["no"] * 5, 0, False), (["yes", "no", "no", "no", "no"], 1, False),
     (["no", "yes", "no", "no", "yes"], 2, True), (["yes"] * 5, 5, True)],
)  # fmt: skip
def test_scoff(values: list[str], score: int, positive: bool) -> None:
    s = scoff.SCALE.score(items("scoff", values))
    assert (s.score, s.positive) == (score, positive)


def test_scoff_us_wording_and_bmi() -> None:
    texts = " ".join(i.text for i in INSTRUMENTS["scoff"].items)
    assert "throw up" in texts and "14 pounds" in texts and "stone" not in texts
    assert scoff.bmi({"height_cm": 167.6, "weight_kg": 45.4}) == pytest.approx(16.2, abs=0.1)
    assert scoff.bmi({"height_cm": 170}) is None


# --- AUDIT-C -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "sex", "positive", "band"),
    [
        ([1, 1, 1], "female", True, "positive"),
        ([1, 1, 1], "male", False, "negative"),
        ([2, 1, 1], "male", True, "positive"),
        ([1, 1, 1], None, True, "positive"),  # sex not given: the lower cutoff
        ([1, 1, 1], "other", True, "positive"),
        ([1, 1, 1], "unspecified", True, "positive"),
        ([1, 1, 0], "female", False, "negative"),
        ([4, 3, 1], "male", True, "severe"),
        ([4, 4, 4], "female", True, "severe"),
    ],
)
def test_auditc_cutoff_by_sex(values: list[int], sex: Any, positive: bool, band: str) -> None:
    answers = items("auditc", values) | ({"sex": sex} if sex else {})
    s = auditc.SCALE.score(answers)
    assert (s.score, s.positive, s.band) == (sum(values), positive, band)


def test_auditc_never_drinker_skips_items_2_3() -> None:
    s = auditc.SCALE.score({"auditc_1": 0})
    assert (s.score, s.positive, s.prorated) == (0, False, False)


def test_auditc_cutoffs_are_parameters() -> None:
    answers = items("auditc", [2, 1, 1]) | {"sex": "male"}
    assert auditc.SCALE.score(answers, Cutoffs(auditc_male=5)).positive is False


# --- Drug screen + DAST-10 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "score", "band", "positive"),
    [
        ({"drug_times": 0}, 0, "none", False),
        ({"drug_times": 3} | items("dast", ["no"] * 10), 1, "low", False),  # item 3 no = 1
        ({"drug_times": 3} | items("dast", ["no", "no", "yes"] + ["no"] * 7), 0, "none", False),
        ({"drug_times": 3} | items("dast", ["yes"] * 10), 9, "severe", True),  # item 3 yes = 0
        ({"drug_times": 3} | items("dast", ["yes", "yes", "yes"] + ["no"] * 7), 2, "low", False),
        ({"drug_times": 3} | items("dast", ["yes", "yes", "no"] + ["no"] * 7), 3, "moderate",
         True),
        ({"drug_times": 9} | items("dast", ["yes"] * 5 + ["no"] * 5), 4, "moderate", True),
        ({"drug_times": 9} | items("dast", ["yes", "yes", "no", "yes", "yes", "yes"] + ["no"] * 4),
         6, "substantial", True),
        ({"drug_times": 9} | items("dast", ["yes", "yes", "no"] + ["yes"] * 5 + ["no"] * 2),
         8, "substantial", True),
        ({"drug_times": 9} | items("dast", ["yes", "yes", "no"] + ["yes"] * 7), 10, "severe",
         True),
        ({"drug_times": 5}, None, None, None),  # DAST opened but unanswered: unknown
    ],
)  # fmt: skip
def test_dast(answers: dict[str, Any], score: Any, band: Any, positive: Any) -> None:
    s = dast.SCALE.score(answers)
    assert (s.score, s.band, s.positive) == (score, band, positive)


@pytest.mark.parametrize(("answer", "points"), [("yes", 0), ("no", 1), (None, None)])
def test_dast_item3_is_reversed(answer: Any, points: Any) -> None:
    assert dast.SCALE.item_points("dast_3", answer) == points
    if answer is not None:
        assert dast.SCALE.item_points("dast_4", answer) == 1 - points


def test_dast_not_asked() -> None:
    assert dast.SCALE.score({}) is NOT_ASKED


# --- OCI-4, CSI-4, ECR-RS, PVS -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "cutoff", "positive"),
    [([1, 1, 1, 0], 4, False), ([1, 1, 1, 1], 4, True), ([1, 1, 1, 0], 3, True),
     ([2, 2, 2, 0], 7, False), ([4, 4, 4, 4], 7, True)],
)  # fmt: skip
def test_oci4_configurable_cutoff(values: list[int], cutoff: int, positive: bool) -> None:
    s = oci4.SCALE.score(items("oci4", values), Cutoffs(oci4=cutoff))
    assert (s.score, s.positive) == (sum(values), positive)


@pytest.mark.parametrize(
    ("values", "score", "distress"),
    [([3, 3, 3, 3], 12, True), ([3, 4, 3, 3], 13, True), ([4, 4, 3, 3], 14, False),
     ([6, 5, 5, 5], 21, False), ([0, 0, 0, 0], 0, True)],
)  # fmt: skip
def test_csi4_distress_below_13_5(values: list[int], score: int, distress: bool) -> None:
    s = csi4.SCALE.score(items("csi4", values))
    assert (s.score, s.positive) == (score, distress)
    assert s.band == ("distress" if distress else "no_distress")


def test_csi4_item_ranges() -> None:
    # Item 1 runs 0-6, items 2-4 only 0-5: a 6 on item 2 is unreadable, so it counts as missing.
    s = csi4.SCALE.score({"csi4_1": 6, "csi4_2": 6, "csi4_3": 5, "csi4_4": 5})
    assert s.prorated and s.score == 21


@pytest.mark.parametrize(
    ("values", "avoidance", "anxiety"),
    [
        ([7] * 9, 3.0, 7.0),  # items 1-4 reversed: (1*4 + 7*2) / 6
        ([1] * 9, 5.0, 1.0),  # (7*4 + 1*2) / 6
        ([4] * 9, 4.0, 4.0),
        ([1, 1, 1, 1, 7, 7, 2, 3, 4], 7.0, 3.0),
        ([7, 7, 7, 7, 1, None, 5, 5, None], 1.0, 5.0),  # one missing per subscale: mean of rest
        ([7, 7, 7, 7, None, None, 5, 5, 5], None, 5.0),  # two missing: unknown
    ],
)
def test_ecrrs_means(values: list[Any], avoidance: Any, anxiety: Any) -> None:
    s = ecrrs.score(items("ecrrs", values))
    assert (s.extra["avoidance"], s.extra["anxiety"]) == (avoidance, anxiety)
    assert (s.score, s.band, s.positive) == (None, None, None)  # descriptive only


@pytest.mark.parametrize(
    ("values", "positive"),
    [(["no", "yes", "no"], False), (["yes", "yes", "no"], True), (["no", "no", "no"], True),
     (["no", "yes", "yes"], True), (["no", "yes", None], None), ([None, "no", None], True)],
)  # fmt: skip
def test_pvs_rule(values: list[Any], positive: Any) -> None:
    assert pvs.score(items("pvs", values)).positive is positive


# --- Registry and wording metadata -------------------------------------------------------------

CONTRACT_PREFIXES = (
    "asq", "phq9", "gad7", "pcptsd5", "asrs", "mdq", "scoff", "auditc", "dast", "oci4", "csi4",
    "ecrrs", "pvs",
)  # fmt: skip


def test_registry_holds_every_contract_prefix() -> None:
    assert tuple(INSTRUMENTS) == CONTRACT_PREFIXES
    assert set(score_all({})) == set(CONTRACT_PREFIXES)


@pytest.mark.parametrize("prefix", CONTRACT_PREFIXES)
def test_nothing_answered_is_not_asked(prefix: str) -> None:
    assert score_all({})[prefix] is NOT_ASKED


@pytest.mark.parametrize(
    "item",
    [i for inst in (*INSTRUMENTS.values(), SAFETY) for i in inst.items],
    ids=lambda item: str(item.key),  # the same in every process (pytest -n)
)
def test_item_options_are_contract_vocabulary(item: Any) -> None:
    spec = VOCABULARY[item.key]
    if item.kind == "choice":
        assert tuple(v for v, _ in item.options) == spec.values
    else:
        assert spec.kind in ("int", "number") and item.options == ()


def test_unconfirmed_wording_is_marked() -> None:
    assert not INSTRUMENTS["oci4"].wording_verified
    assert not INSTRUMENTS["csi4"].wording_verified
    assert "NOT CONFIRMED" in INSTRUMENTS["oci4"].wording_note
    assert not SAFETY.validated and "not a validated instrument" in SAFETY.name


def test_score_all_uses_configured_cutoffs() -> None:
    answers = items("oci4", [1, 1, 1, 0])
    assert score_all(answers)["oci4"].positive is False
    assert score_all(answers, Cutoffs(oci4=3))["oci4"].positive is True


def test_a_scale_refuses_an_option_without_points() -> None:
    """Declared as data: an option the scale cannot score is refused when it is declared, so
    a new option (like PHQ-9 item 9's "Prefer not to answer") needs its points written down."""
    with pytest.raises(ValueError, match="phq9_9"):
        Scale(phq9.INSTRUMENT, phq9.KEYS, cutoff="phq9_dep", bands=phq9.BANDS)
    assert phq9.SCALE.item_points("phq9_9", "refused") == 1
    assert phq9.SCALE.item_max == 3 and csi4.SCALE.item_max == 6


def test_the_summed_scales_are_those_declared_as_data() -> None:
    assert SUMMED == tuple(SCALES) == tuple(p for p in INSTRUMENTS if p in SCALES)
    assert all(SCALES[p].instrument is INSTRUMENTS[p] for p in SCALES)
