"""`flask rules check | explain | replay`: the rule owners' tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from intake.extensions import db
from intake.models import Intake
from intake.triage import RULES_PATH
from tests import factories


def test_check_names_the_problem_in_a_bad_draft(app: Any, tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(RULES_PATH.read_text().replace('key = "asq_5"', 'key = "asq_55"', 1))
    result = app.test_cli_runner().invoke(args=["rules", "check", str(draft)])
    assert result.exit_code != 0
    assert "draft.toml" in result.output and "C1" in result.output and "asq_55" in result.output


def _without_rule(rule_id: str) -> str:
    text = RULES_PATH.read_text()
    start = text.index(f'[[urgency]]\nid = "{rule_id}"\n')
    return text[:start] + text[text.index("[[urgency]]", start + 1) :]


def test_check_refuses_a_draft_without_the_crisis_floor(app: Any, tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(_without_rule("C5"))
    result = app.test_cli_runner().invoke(args=["rules", "check", str(draft)])
    assert result.exit_code != 0
    assert "rule C5" in result.output and "crisis floor" in result.output


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("medical_emergency = true\n", "", "needs medical_emergency = true"),
        ("support_panel = true\n", "", "no rule has support_panel = true"),
        ('"incomplete", "pvs_unknown"]', '"incomplete"]', "hold_flags: must include pvs_unknown"),
    ],
)
def test_check_refuses_a_draft_without_the_marks_the_app_reads(
    app: Any, tmp_path: Path, old: str, new: str, problem: str
) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(RULES_PATH.read_text().replace(old, new))
    result = app.test_cli_runner().invoke(args=["rules", "check", str(draft)])
    assert result.exit_code != 0 and problem in result.output, result.output


def test_check_accepts_the_rules_in_force(app: Any) -> None:
    result = app.test_cli_runner().invoke(args=["rules", "check", str(RULES_PATH)])
    assert result.exit_code == 0 and result.output.startswith("ok: "), result.output
    assert "crisis rules: C1, C2, C3, C4, C5, C6" in result.output
    assert "medical emergency screen: C6" in result.output
    assert "held for a coordinator: incomplete, minor, pvs_unknown" in result.output


def test_explain_prints_the_decision_json(app: Any, tmp_path: Path) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(factories.answers(phq9_9=2)))
    result = app.test_cli_runner().invoke(args=["rules", "explain", str(answers)])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert decision["urgency"] == "urgent"
    assert [r["rule"] for r in decision["reasons"]][:1] == ["U2"]


def test_replay_counts_what_a_draft_would_change_and_writes_nothing(
    app: Any, client: Any, demo: Any, tmp_path: Path
) -> None:
    for phq9_1 in (2, 3):  # PHQ-9 12 and 13: routine depression under the rules in force
        client.post("/", data=factories.form_data(phq9_1=str(phq9_1)))
    draft = tmp_path / "draft.toml"
    # A draft that lowers the severe-depression threshold (PHQ-9 20) to 13: exactly one stored
    # intake would change, the PHQ-9 13 one.
    text = RULES_PATH.read_text()
    assert text.count("phq9_dep_sev = 20") == 1  # the one threshold the draft changes
    draft.write_text(text.replace("phq9_dep_sev = 20", "phq9_dep_sev = 13", 1))
    result = app.test_cli_runner().invoke(args=["rules", "replay", "--rules", str(draft)])
    assert result.exit_code == 0, result.output
    assert "2 intakes re-decided, nothing written" in result.output
    assert "1 of 2 decision(s) would change" in result.output
    assert "urgency routine -> urgent" in result.output
    with app.app_context():
        assert {i.urgency for i in db.session.query(Intake)} == {"routine"}
