"""The fast paths give exactly what the plain readings give.

`scorers(cutoffs)` (precomputed results per instrument) against each plain `score()`, and the
generated rule sections (codegen.py) against the interpreted ones (sections.py), over generated
answers, valid and invalid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.screening import (
    NOT_ASKED,
    Score,
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
    scorers,
)
from intake.screening.base import Cutoffs, sum_scorer
from intake.triage import (
    RULES_PATH,
    VOCABULARY,
    Ruleset,
    conditions,
    default_ruleset,
    parse_ruleset,
    triage,
)
from intake.triage.sections import interpreted
from tests.strategies import valid_answer_sets

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_JUNK = st.sampled_from([True, False, 1.0, 0.0, 2.5, "1", "", "maybe", -1, 99, [1], {"a": 1}])


_JUNK_KEYS = sorted(k for k in VOCABULARY if k != "free_text")

# Valid answers with gaps (so scales reach their cutoffs and rules fire), with up to two
# invalid values laid over them, which the fast paths must read exactly as the plain ones do.
answer_sets = st.tuples(
    valid_answer_sets, st.dictionaries(st.sampled_from(_JUNK_KEYS), _JUNK, max_size=2)
).map(lambda pair: pair[0] | pair[1])
cutoffs = st.builds(
    Cutoffs,
    phq9_dep=st.integers(0, 27),
    gad7_anx=st.integers(0, 21),
    pcptsd5=st.integers(0, 5),
    asrs=st.integers(0, 6),
    mdq_yes=st.integers(0, 13),
    scoff=st.integers(0, 5),
    auditc_male=st.integers(0, 12),
    auditc_other=st.integers(0, 12),
    auditc_severe=st.integers(0, 12),
    dast=st.integers(0, 10),
    oci4=st.integers(0, 16),
    csi4_distress=st.sampled_from([0.0, 7.5, 13.5, 21.0, 22.0]),
)

# The plain reading of each instrument: a summed scale's `Scale.score` (tally, then rate), or
# the module's own `score` for the three with a rule of their own.
REFERENCE: dict[str, Callable[[dict[str, Any], Cutoffs], Score]] = {
    "asq": lambda a, c: asq.score(a),
    **{m.SCALE.key: m.SCALE.score for m in (phq9, gad7, pcptsd5, asrs, mdq, scoff)},
    **{m.SCALE.key: m.SCALE.score for m in (auditc, dast, oci4, csi4)},
    "ecrrs": lambda a, c: ecrrs.score(a),
    "pvs": lambda a, c: pvs.score(a),
}


def _same(fast: Score, ref: Score) -> None:
    assert (fast is NOT_ASKED) is (ref is NOT_ASKED)
    assert fast == ref
    assert type(fast) is type(ref) and type(fast.extra) is type(ref.extra)


@SETTINGS
@given(answer_sets, cutoffs)
def test_compiled_scorers_match_each_instruments_score(answers: dict[str, Any], c: Cutoffs) -> None:
    fast = scorers(c)
    assert set(fast) == set(REFERENCE)
    for prefix, fn in fast.items():
        _same(fn(answers), REFERENCE[prefix](answers, c))


@pytest.mark.parametrize(
    ("prefix", "value"), [("phq9", 1), ("gad7", 1), ("mdq", "yes"), ("pcptsd5", "yes"), ("csi4", 1)]
)
def test_precomputed_results_never_share_a_mutable_extra(prefix: str, value: object) -> None:
    # Two items answered: the total is unknown, and `extra` holds the bounds (a fresh dict).
    partly = {f"{prefix}_1": value, f"{prefix}_2": value, "pcptsd5_exposure": "yes"}
    fn = scorers()[prefix]
    first, second = fn(partly), fn(dict(partly))
    assert first == second and first.score is None and first.extra["answered"] == 2
    assert first.extra is not second.extra


_NEVER = '{ not = { any = [ { always = true }, { key = "age", lt = 1 } ] } }'

# Every operator of the condition language, as [[flags]] rules (all of which are evaluated), and
# urgency/raise rules reading what earlier rules set. Appended to the shipped rules.
_ZOO = [
    '{ key = "phq9_3", ne = 2 }',
    '{ key = "sex", ne = "male" }',
    '{ key = "phq9_2", in = [1, 2] }',
    '{ key = "mdq_problem", in = ["moderate", "serious"] }',
    '{ key = "age", gte = 65 }',
    '{ key = "age", gt = 30 }',
    '{ key = "weight_kg", lte = 50.5 }',
    '{ key = "height_cm", lt = 160 }',
    '{ key = "height_cm", eq = 170.5 }',
    '{ key = "drug_times", eq = 4 }',
    '{ key = "drug_times", ne = 0 }',
    '{ key = "location", answered = true }',
    '{ key = "free_text", answered = false }',
    '{ score = "phq9", eq = 10 }',
    '{ score = "gad7", gte = 7 }',
    '{ score = "oci4", gt = 3 }',
    '{ score = "csi4", lte = 12 }',
    '{ score = "dast", lt = 2 }',
    '{ score = "auditc", between = [3, 7] }',
    '{ score = "scoff", positive = true }',
    '{ score = "pvs", positive = false }',
    '{ score = "dast", band = "low" }',
    '{ score = "gad7", in = ["mild", "severe"] }',
    '{ domain = "COUPLES" }',
    '{ domain_any = ["ADHD", "OCD", "ED_MED"] }',
    '{ flag = "inconsistent" }',
    '{ concern = "trauma" }',
    '{ concern_any = ["adhd", "not_sure"] }',
    '{ none_answered = ["asq", "pvs"] }',
    '{ text_matches = "crisis_words" }',
    '{ urgency = "soon" }',
    '{ line = "anxiety" }',
    _NEVER,
    '{ all = [ { not = { domain = "DEP" } }, { any = [ { concern = "ocd" }, '
    '{ key = "psychosis", eq = "yes" } ] } ] }',
]
ZOO_RULES = (
    RULES_PATH.read_text(encoding="utf-8")
    + "".join(
        f'\n[[flags]]\nid = "Z{n}"\nwhen = {cond}\nflags = ["inconsistent"]\nreason = "zoo {n}"\n'
        for n, cond in enumerate(_ZOO, 1)
    )
    + """
[[urgency]]
id = "ZU"
when = { all = [ { flag = "crisis_text" }, { key = "age", lt = 25 } ] }
urgency = "crisis"
flags = ["minor"]
reason = "zoo urgency reading a flag set by an earlier rule"

[[raise]]
id = "ZR"
when = { all = [ { urgency = "routine" }, { concern = "bipolar" } ] }
by = 2
max = "crisis"
reason = "zoo raise"
"""
)


def _interpreted(rs: Ruleset) -> Ruleset:
    plain = interpreted(
        rs.urgency_rules, rs.raise_rules, rs.line_rules, rs.flag_rules, rs.modality_rules
    )
    return dataclasses.replace(rs, sections=plain)


ZOO = parse_ruleset(ZOO_RULES.encode("utf-8"), "zoo.toml")
PAIRS = [(default_ruleset(), _interpreted(default_ruleset())), (ZOO, _interpreted(ZOO))]


@SETTINGS
@given(answer_sets)
def test_generated_sections_match_the_interpreted_rules(answers: dict[str, Any]) -> None:
    for compiled, plain in PAIRS:
        assert triage(answers, compiled) == triage(answers, plain)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(VOCABULARY)), _JUNK | st.none()))
def test_generated_sections_match_on_garbage(answers: dict[str, Any]) -> None:
    for compiled, plain in PAIRS:
        assert triage(answers, compiled) == triage(answers, plain)


# Answer sets that, between them, make every zoo rule fire (checked below), so that the
# equivalence of the generated and interpreted sections is seen on each operator firing.
ZOO_FIRING: list[dict[str, Any]] = [
    {
        "age": 70,
        "sex": "female",
        **{f"phq9_{i}": 1 for i in range(1, 10)},
        "phq9_1": 2,
        **{f"gad7_{i}": 3 for i in range(1, 8)},
        "mdq_problem": "serious",
        "weight_kg": 45.0,
        "height_cm": 155.0,
        "drug_times": 4,
        **{f"dast_{i}": "no" for i in range(1, 11)},
        "dast_1": "yes",
        "dast_3": "yes",
        **{"auditc_1": 2, "auditc_2": 1, "auditc_3": 1},
        **{"oci4_1": 2, "oci4_2": 2, "oci4_3": 0, "oci4_4": 0},
        **{f"scoff_{i}": "yes" for i in range(1, 6)},
        **{"pvs_1": "no", "pvs_2": "yes", "pvs_3": "no"},
        **{f"csi4_{i}": 1 for i in range(1, 5)},
        "location": "Brooklyn",
        "concerns": ["trauma", "adhd", "couples"],
    },
    {"age": 20, "concerns": ["bipolar"], "free_text": "I want to end my life", "height_cm": 170.5},
    {
        "age": 40,
        "sex": "male",
        "concerns": ["ocd"],
        **{f"asq_{i}": "no" for i in range(1, 5)},
        "safe_now": "yes",
        **{f"gad7_{i}": 2 for i in range(1, 8)},
        **{f"oci4_{i}": 2 for i in range(1, 5)},
    },
    {"age": 40, "concerns": ["anxiety"], **{f"gad7_{i}": 1 for i in range(1, 8)}, "phq9_1": 0},
    {"age": 40, "concerns": ["bipolar"]},
]


def test_every_zoo_rule_fires_and_both_readings_agree() -> None:
    fired: set[str] = set()
    for answers in ZOO_FIRING:
        for compiled, plain in PAIRS:
            assert triage(answers, compiled) == triage(answers, plain)
        fired |= {r.rule for r in triage(answers, ZOO).reasons}
    never = f"Z{_ZOO.index(_NEVER) + 1}"  # false by construction
    assert fired >= {f"Z{n}" for n in range(1, len(_ZOO) + 1)} - {never} | {"ZU", "ZR"}
    assert never not in fired


def _condition_classes(c: object) -> set[type]:
    inner = (*getattr(c, "parts", ()), *([c.inner] if isinstance(c, conditions.Not) else []))
    return {type(c)}.union(*(_condition_classes(i) for i in inner))


def test_the_zoo_uses_every_condition_class() -> None:
    """One engine: each class both evaluates itself and writes its source, and the zoo (whose
    rules all fire above, read both ways) holds every class, so no class goes unchecked."""
    rules = (*ZOO.urgency_rules, *ZOO.raise_rules, *ZOO.flag_rules)
    used = set().union(*(_condition_classes(r.when) for r in rules))
    defined = {
        v
        for v in vars(conditions).values()
        if isinstance(v, type) and v.__module__ == conditions.__name__ and hasattr(v, "source")
    }
    assert defined and used == defined, defined - used
    for cls in defined:  # each says what it means both ways itself, not by inheritance
        assert {"__call__", "source"} <= vars(cls).keys(), cls


def test_generated_source_is_kept_for_review() -> None:
    source = default_ruleset().sections.source
    assert "def apply(f, reasons, later_steps, ruleset):" in source
    for section in ("urgency", "raise", "line", "flags", "modality"):
        assert f"# [[{section}]]" in source
    assert "asq_5" in source


def test_item_pass_refuses_points_it_cannot_encode() -> None:
    """The generated pass sums points * stride + 1: negative or fractional points would alias."""
    with pytest.raises(ValueError, match="whole numbers"):
        sum_scorer(("x_1",), ({"yes": -1, "no": 0},), 1, lambda t: NOT_ASKED)
