"""The rules file: validation errors name file, rule and problem; version; config reaches triage.

Also the answer vocabulary check (`validate_answers`) the API relies on.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from intake.triage import (
    FLAGS,
    PARTIAL_FLAG,
    RULES_PATH,
    URGENCIES,
    RulesetError,
    default_ruleset,
    load_ruleset,
    triage,
    validate_answers,
)

RULES = RULES_PATH.read_text(encoding="utf-8")
APP = RULES_PATH.parents[1]  # the intake package


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
    ("score of unknown instrument", '{ score = "phq9", gte', '{ score = "phq8", gte', "S1a",
     "unknown instrument 'phq8'"),
    ("between needs a pair", '{ score = "phq9", gte = 15 }',
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
        (f'version = "{default_ruleset().declared_version}"', "", "file",
         "'version' must be a non-empty string"),
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
        # common phrasings (issue 9): each acts on its own
        ("honestly I keep thinking about ending it", True),
        ("I took too many pills last night", True),
        ("they would all be better off without me", True),
        ("there is no reason to live", True),
        ("please kill me", True),
        ("I don't want to wake up tomorrow", True),
        ("I do not want to wake up", True),
        ("I want to go to sleep and never wake up", True),
        ("I cut myself again", True),
        ("sometimes I hurt myself", True),
        ("I took pills to sleep forever", True),
        ("I thought about how to jump off the bridge", True),
        ("I want to end things", True),
        ("self-harm since school", True),
        ("I've been self-harming", True),
        ("my suicidality is worse", True),
        ("nothing to live for anymore", True),
        ("ya no quiero vivir", True),
        ("pienso en acabar con todo", True),
        ("estarían mejor sin mí", True),
        ("Tomé demasiadas pastillas", True),
        ("quiero dormir y no despertar", True),
        ("a veces quiero lastimarme", True),
        ("NO TENGO RAZÓN PARA VIVIR", True),
        # false alarms kept out: whole words only, and narrowed phrases
        ("my parents would kill me if they knew", False),
        ("this commute is killing me", False),
        ("I never wake up feeling rested", False),
        ("I could not wake up on time", False),
        ("I'm pretending it is fine", False),
        ("voy a cortarme el pelo", False),
        ("mi hija es mi razón para vivir", False),
        ("a self-harmless joke", False),
    ],
)
def test_crisis_word_matching(text: str, hit: bool) -> None:
    d = triage({"free_text": text})
    assert ("crisis_text" in d.flags) is hit, text
    assert (d.urgency == "urgent") is hit, text
    assert default_ruleset().crisis_text(text) is hit, text


def test_every_crisis_word_acts_alone_and_lives_only_in_the_rules_file() -> None:
    rs = default_ruleset()
    assert {"ending it", "took too many pills", "better off without me",
            "no reason to live"} <= set(rs.crisis_words)  # fmt: skip
    for word in rs.crisis_words:
        assert rs.crisis_text(f"({word.upper()})"), word
        assert "crisis_text" in triage({"free_text": word}).flags, word
    # no copy of the list in the code
    code = "\n".join(p.read_text(encoding="utf-8") for p in APP.rglob("*.py"))
    for word in ("took too many pills", "better off without me", "quitarme la vida"):
        assert word not in code


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
    # set by the engine from the scores (clinical-rules.md D2)
    assert set(FLAGS) - set_by_rules == {"prorated", *PARTIAL_FLAG.values()}


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


# --- the floor: what no rules file may drop (clinical-rules.md 3) ------------------------------


def _without_rule(rule_id: str) -> str:
    """The rules text with one [[urgency]] rule removed whole."""
    start = RULES.index(f'[[urgency]]\nid = "{rule_id}"\n')
    end = RULES.index("[[urgency]]", start + 1)
    return RULES[:start] + RULES[end:]


def _swap(old: str, new: str, count: int = 1) -> str:
    assert old in RULES, f"fixture text not found: {old!r}"
    return RULES.replace(old, new, count)


FLOOR_VARIANTS = [
    *[(f"{c} removed", _without_rule(c), f"rule {c}", "the crisis floor (C1-C6)")
      for c in ("C1", "C2", "C3", "C4", "C5", "C6")],
    ("C4 lowered to urgent",
     _swap('eq = "no" }\nurgency = "crisis"\ncrisis_floor = true\n',
           'eq = "no" }\nurgency = "urgent"\n'),
     "rule C4", 'needs urgency = "crisis" and crisis_floor = true'),
    ("C1 unmarked", _swap('eq = "yes" }\nurgency = "crisis"\ncrisis_floor = true\n',
                          'eq = "yes" }\nurgency = "crisis"\n'),
     "rule C1", "crisis_floor = true"),
    ("C4 reads another answer", _swap('{ key = "safe_now", eq = "no" }',
                                      '{ key = "safe_now", eq = "not_sure" }'),
     "rule C4", "no longer decides crisis for safe_now = no"),
    ("C3 reads another answer", _swap('{ key = "asq_4_when", eq = "past_3_months" }',
                                      '{ key = "asq_4_when", eq = "longer_ago" }'),
     "rule C3", "no longer decides crisis for asq_4 = yes, asq_4_when = past_3_months"),
    ("C6 not the medical emergency", _swap("medical_emergency = true\n", ""),
     "rule C6", "needs medical_emergency = true"),
    ("no support panel rule", _swap("support_panel = true\n", "", -1),
     "[[urgency]]", "no rule has support_panel = true"),
    ("support panel on a crisis rule",
     _swap('urgency = "crisis"\ncrisis_floor = true\nreason = "Says they',
           'urgency = "crisis"\ncrisis_floor = true\nsupport_panel = true\nreason = "Says they'),
     "rule C4", "support_panel is for rules below crisis"),
    ("medical emergency on an urgent rule",
     _swap('id = "U3a"\n', 'id = "U3a"\nmedical_emergency = true\n'),
     "rule U3a", 'need urgency = "crisis"'),
    ("a mark that is not true/false",
     _swap("medical_emergency = true\n", 'medical_emergency = "yes"\n'),
     "rule C6", "'medical_emergency' must be true or false"),
    ("crisis words no longer flag", _swap('flags = ["crisis_text"]\n', ""),
     "word list crisis_words", "does not make free text urgent with flag crisis_text"),
    ("hold_flags missing", _swap('hold_flags = ["minor", "incomplete", "pvs_unknown"]\n', ""),
     "hold_flags", "must be a list of flags"),
    ("hold_flags without pvs_unknown", _swap('"incomplete", "pvs_unknown"]', '"incomplete"]'),
     "hold_flags", "must include pvs_unknown"),
    ("hold_flags with an unknown flag", _swap('"incomplete", "pvs_unknown"]',
                                              '"incomplete", "pvs_unknown", "vip"]'),
     "hold_flags", "unknown flag 'vip'"),
    ("no partial table", _swap('[partial]\n', '[partial_x]\n'), "file", "unknown top-level"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "text", "where", "problem"), FLOOR_VARIANTS, ids=[v[0] for v in FLOOR_VARIANTS]
)
def test_a_rules_file_without_the_floor_is_refused(
    tmp_path: Path, label: str, text: str, where: str, problem: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesetError) as exc:
        load_ruleset(path)
    message = str(exc.value)
    assert message.startswith(f"{path}: {where}"), message
    assert problem in message, message


def test_the_rules_file_marks_what_the_app_reads() -> None:
    rs = default_ruleset()
    assert rs.crisis_rule_ids == {"C1", "C2", "C3", "C4", "C5", "C6"}
    assert rs.medical_rule_ids == {"C6"}
    assert rs.support_rule_ids == {"U1", "U2", "U3a", "U3b", "U3c", "U3d", "U3e"}
    assert rs.hold_flags == {"minor", "incomplete", "pvs_unknown"}
    assert rs.crisis_words == rs.word_lists["crisis_words"]
    assert rs.crisis_text("I want to end my life") and not rs.crisis_text("fine")
    assert not rs.crisis_text(None)


def test_a_practice_may_add_crisis_rules_and_move_the_marks(tmp_path: Path) -> None:
    extra = (
        '\n[[urgency]]\nid = "C7"\nwhen = { key = "psychosis", eq = "yes" }\nurgency = "crisis"\n'
        'reason = "Practice rule."\n'
    )
    text = _swap('id = "U3e"\n', 'id = "U3e_old"\n').replace(
        "support_panel = true\n", "", 1
    )  # U1 no longer shows the support panel
    path = tmp_path / "rules.toml"
    path.write_text(text + extra, encoding="utf-8")
    rs = load_ruleset(path)
    assert "C7" in rs.crisis_rule_ids and "U1" not in rs.support_rule_ids


def test_the_app_names_no_rule_id_and_no_word_list() -> None:
    """The rules file marks what the app needs (support panel, medical screen, crisis words):
    outside the triage core, no string in the code is a rule id or the word list's name."""
    rs = default_ruleset()
    ids = {r.id for r in (*rs.urgency_rules, *rs.raise_rules, *rs.line_rules, *rs.flag_rules,
                          *rs.modality_rules)}  # fmt: skip
    ids |= {rs.stated.id, rs.precedence.id, rs.fallback.id, rs.partial.id, "crisis_words"}
    found = []
    for path in sorted(APP.rglob("*.py")):
        if path.is_relative_to(APP / "triage"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in ids:
                found.append(f"{path}:{node.lineno} {node.value!r}")
    assert found == []
