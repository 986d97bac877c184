"""The rules file: validation errors name file, rule and problem; version; config reaches triage.

Also the answer vocabulary check (`validate_answers`) the API relies on.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from intake.triage import (
    FLAGS,
    RULES_PATH,
    URGENCIES,
    RulesetError,
    default_ruleset,
    load_ruleset,
    triage,
    validate_answers,
)

RULES = RULES_PATH.read_text(encoding="utf-8")


def _variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    assert RULES.count(old) >= 1, f"fixture text not found: {old!r}"
    path = tmp_path / "rules.toml"
    path.write_text(RULES.replace(old, new, count), encoding="utf-8")
    return path


BAD_VARIANTS = [
    ("unknown answer key", 'id = "C1"\nwhen = { key = "asq_5"', 'id = "C1"\nwhen = { key = "asq_6"',
     "C1", "unknown answer key 'asq_6'"),
    ("unknown operator", '{ key = "safe_now", eq = "no" }', '{ key = "safe_now", equals = "no" }',
     "C4", "unknown operator 'equals'"),
    ("unknown top operator", "when = { always = true }\nurgency",
     "when = { sometimes = true }\nurgency", "R1", "unknown operator 'sometimes'"),
    ("duplicate id", 'id = "C2"', 'id = "C1"', "C1", "duplicate rule id"),
    ("value not in vocabulary", '{ key = "safe_now", eq = "not_sure" }',
     '{ key = "safe_now", eq = "unsure" }', "U3a", "value 'unsure' is not allowed for 'safe_now'"),
    ("number expected", '{ key = "phq9_9", gte = 1 }, { key = "phq9_9", eq = "refused" } ] }\n'
     'urgency', '{ key = "phq9_9", gte = "1" }, { key = "phq9_9", eq = "refused" } ] }\nurgency',
     "U2", "'gte' for 'phq9_9' needs a number"),
    ("wrong type for by", "by = 1", 'by = "one"', "P1", "'by' must be a whole number"),
    ("service line outside vocabulary", 'line = "eating_disorders"', 'line = "eating"', "SL1",
     "unknown service line 'eating'"),
    ("urgency outside vocabulary", 'urgency = "routine"', 'urgency = "later"', "R1",
     "unknown urgency 'later'"),
    ("modality outside vocabulary", 'modality = "either"', 'modality = "phone"', "M5",
     "unknown modality 'phone'"),
    ("flag outside vocabulary", 'flags = ["crisis_text"]', 'flags = ["crisis"]', "U4",
     "unknown flag 'crisis'"),
    ("unknown domain", '{ domain = "DEP_SEV" }\nurgency', '{ domain = "DEPRESSION" }\nurgency',
     "U5a", "unknown domain 'DEPRESSION'"),
    ("unknown domain in a table", 'anxiety = ["ANX"]', 'anxiety = ["WORRY"]', "SL5",
     "unknown domain name 'WORRY'"),
    ("unknown word list", '{ text_matches = "crisis_words" }', '{ text_matches = "bad_words" }',
     "U4", "unknown word list 'bad_words'"),
    ("late operator too early", '{ domain = "ADDICT_SEV" }\nurgency',
     '{ line = "addiction" }\nurgency', "U5d", "operator 'line' is not available"),
    ("unknown rule field", 'id = "C3"\n', 'id = "C3"\nseverity = 3\n', "C3", "unknown field"),
    ("missing reason", 'reason = "Says they are not safe right now."\n', "", "C4",
     "'reason' must be a non-empty string"),
    ("score of unknown instrument", '{ score = "phq9", band', '{ score = "phq8", band', "S1a",
     "unknown instrument 'phq8'"),
    ("between needs a pair", '{ score = "phq9", band = "moderately severe" }',
     '{ score = "phq9", between = [15] }', "S1a", "'between' needs [low, high]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "old", "new", "rule", "problem"), BAD_VARIANTS, ids=[v[0] for v in BAD_VARIANTS]
)
def test_bad_rules_name_file_rule_and_problem(
    tmp_path: Path, label: str, old: str, new: str, rule: str, problem: str
) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(RulesetError) as exc:
        load_ruleset(path)
    message = str(exc.value)
    assert str(path) in message, label
    assert re.search(rf"rule {rule}\b", message), message
    assert problem in message, message


@pytest.mark.parametrize(
    ("old", "new", "where", "problem"),
    [
        ("phq9_dep = 10 ", "phq9_dep = ten ", "file", "not valid TOML"),
        ("oci4 = 4 ", "oci_4 = 4 ", "cutoff oci_4", "unknown cutoff name"),
        ("oci4 = 4 ", 'oci4 = "4" ', "cutoff oci4", "must be a number"),
        ("oci4 = 4 ", "oci4 = 4.5 ", "cutoff oci4", "must be a whole number"),
        ('version = "2026.11.1"', "", "file", "'version' must be a non-empty string"),
        ('unit = "business_days" }\nfirst_visit = { amount = 72',
         'unit = "weeks" }\nfirst_visit = { amount = 72', "targets.urgent.first_contact",
         "unknown unit 'weeks'"),
        ("fallback = true\n", "", "[[urgency]]", "needs a fallback rule"),
    ],
)  # fmt: skip
def test_bad_tables_name_file_table_and_problem(
    tmp_path: Path, old: str, new: str, where: str, problem: str
) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(RulesetError) as exc:
        load_ruleset(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: {where}"), message
    assert problem in message, message


def test_missing_file_is_a_ruleset_error(tmp_path: Path) -> None:
    with pytest.raises(RulesetError, match="cannot read"):
        load_ruleset(tmp_path / "nope.toml")


# --- version, caching, config ------------------------------------------------------------------


def test_version_is_declared_plus_file_hash() -> None:
    rs = default_ruleset()
    digest = hashlib.sha256(RULES_PATH.read_bytes()).hexdigest()[:8]
    assert rs.version == f"{rs.declared_version}+{digest}"
    assert re.fullmatch(r"\d{4}\.\d+\.\d+\+[0-9a-f]{8}", rs.version)
    assert triage({}).ruleset_version == rs.version


def test_any_byte_changes_the_version(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES + "\n# reviewed\n", encoding="utf-8")
    assert load_ruleset(path).version != default_ruleset().version


def test_default_ruleset_is_cached() -> None:
    assert default_ruleset() is default_ruleset()


def test_cutoffs_come_from_the_file(tmp_path: Path) -> None:
    answers = {"concerns": ["ocd"], "oci4_1": 2, "oci4_2": 2, "oci4_3": 1, "oci4_4": 0}
    assert triage(answers).service_line == "ocd"
    strict = load_ruleset(_variant(tmp_path, "oci4 = 4 ", "oci4 = 7 "))
    d = triage(answers, strict)
    assert d.service_line == "ocd"  # still the stated concern's line (step 7) ...
    assert [r.rule for r in d.reasons if r.rule.startswith("SL")] == ["SL7"]  # ... not a screen
    assert d.scores["oci4"].positive is False


def test_crisis_words_come_from_the_file(tmp_path: Path) -> None:
    answers = {"free_text": "I feel hopeless and numb"}
    assert triage(answers).urgency == "routine"
    rs = load_ruleset(_variant(tmp_path, '"kill myself", ', '"kill myself", "hopeless", '))
    assert triage(answers, rs).urgency == "urgent"


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("Sometimes I want to KILL MYSELF", True),
        ("thinking about suicide.", True),
        ("I overdosed last year", True),
        ("I don't want to live like this", True),
        ("I dont want to live like this", True),
        ("I don\u2019t want to live", True),
        ("end   my\nlife", True),
        ("quiero morir", True),
        ("suicides in the news upset me", False),  # whole words only
        ("I'm dying to start therapy", False),
        ("", False),
    ],
)
def test_crisis_word_matching(text: str, hit: bool) -> None:
    d = triage({"free_text": text})
    assert ("crisis_text" in d.flags) is hit
    assert (d.urgency == "urgent") is hit


def test_describe_lists_every_rule_in_plain_words() -> None:
    rs = default_ruleset()
    rows = rs.describe()
    ids = {rule_id for _, rule_id, _ in rows}
    for rule in (*rs.urgency_rules, *rs.raise_rules, *rs.line_rules, *rs.flag_rules,
                 *rs.modality_rules):  # fmt: skip
        assert rule.id in ids
    assert {"SL5", "SL6", "SL7", "phq9_dep", "csi4_distress"} <= ids
    assert all(isinstance(text, str) and text for _, _, text in rows)


def test_targets_for_every_urgency() -> None:
    targets = default_ruleset().targets
    assert tuple(targets) == URGENCIES
    crisis = targets["crisis"]
    assert crisis.alert_within is not None and crisis.alert_within.amount == 1
    assert crisis.acknowledge_within is not None and crisis.acknowledge_within.amount == 15
    assert crisis.first_contact.amount == 30 and "988" in crisis.patient_text
    assert (targets["urgent"].first_contact.unit, targets["urgent"].first_visit) == (
        "business_days",
        targets["urgent"].first_visit,
    )
    assert str(targets["urgent"].first_visit) == "72 hours"
    assert str(targets["soon"].first_contact) == "2 business days"
    assert str(targets["routine"].first_visit) == "30 days"
    assert str(targets["routine"]) == targets["routine"].patient_text
    for t in targets.values():
        for word in ("PHQ", "GAD", "score", "depress", "bipolar"):
            assert word.lower() not in t.patient_text.lower()


def test_every_flag_is_reachable_from_the_rules() -> None:
    rs = default_ruleset()
    set_by_rules = {f for r in (*rs.urgency_rules, *rs.raise_rules, *rs.line_rules,
                                *rs.flag_rules) for f in r.flags}  # fmt: skip
    assert set(FLAGS) - set_by_rules == {"prorated"}  # set by the engine from the scores


# --- validate_answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "key", "fragment"),
    [
        ({"phq9_10": 1}, "phq9_10", "not a known question"),
        ({"phq9_3": 4}, "phq9_3", "0 to 3"),
        ({"phq9_3": "2"}, "phq9_3", "0 to 3"),
        ({"phq9_3": True}, "phq9_3", "0 to 3"),
        ({"phq9_3": 2.0}, "phq9_3", "0 to 3"),
        ({"phq9_1": "refused"}, "phq9_1", "0 to 3"),
        ({"asq_1": "maybe"}, "asq_1", "yes, no, refused"),
        ({"free_text": "x" * 4001}, "free_text", "4,000"),
        ({"free_text": 12}, "free_text", "text"),
        ({"concerns": "anxiety"}, "concerns", "list"),
        ({"concerns": ["anxiety", "sadness"]}, "concerns", "may only contain"),
        ({"concerns": ["anxiety", "anxiety"]}, "concerns", "more than once"),
        ({"state": "XX"}, "state", "state"),
        ({"state": "ny"}, "state", "state"),
        ({"age": -1}, "age", "between"),
        ({"age": 34.5}, "age", "whole number"),
        ({"height_cm": "tall"}, "height_cm", "number"),
        ({"height_cm": float("nan")}, "height_cm", "between"),
        ({"drug_times": -2}, "drug_times", "between"),
        ({"csi4_2": 6}, "csi4_2", "0 to 5"),
        ({"ecrrs_1": 0}, "ecrrs_1", "1 to 7"),
    ],
)
def test_validate_answers_rejects(answers: dict[str, Any], key: str, fragment: str) -> None:
    errors = validate_answers(answers)
    assert [k for k, _ in errors] == [key]
    assert fragment in errors[0][1]


@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"phq9_9": "refused", "asq_5": "refused", "csi4_1": 6, "state": "DC"},
        {"state": "PR", "concerns": [], "free_text": "x" * 4000, "height_cm": 170.5},
        {"phq9_1": None, "location": "nyc-midtown", "drug_times": 0, "age": 17},
    ],
)
def test_validate_answers_accepts(answers: dict[str, Any]) -> None:
    assert validate_answers(answers) == []
