"""`flask rules compiled [FILE]`: the Python the rules compile to, from the one engine.

The command needs no database: a bare Flask app with the `rules` group is enough.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from intake.cli import rules as rules_cli
from intake.triage import RULES_PATH, default_ruleset


def _invoke(*args: str) -> tuple[int, str]:
    app = Flask("rules-compiled-test")
    rules_cli.register(app)
    result = app.test_cli_runner().invoke(args=["rules", "compiled", *args])
    return result.exit_code, result.output


def test_prints_the_source_triage_runs() -> None:
    code, out = _invoke()
    rs = default_ruleset()
    assert code == 0, out
    assert out == f"# rules {rs.version} ({rs.path})\n{rs.sections.source}"
    assert "def apply(f, reasons, later_steps, ruleset):" in out
    compile(out, "<printed>", "exec")  # the printed text is the Python itself


def test_a_draft_file_is_compiled_or_its_problem_named(tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text(RULES_PATH.read_text().replace('eq = "past_3_months"', "gte = 2", 1))
    code, out = _invoke(str(draft))
    assert code != 0 and "draft.toml" in out and "'gte'" in out, out
    draft.write_text(RULES_PATH.read_text())
    code, out = _invoke(str(draft))
    assert code == 0 and str(draft) in out.splitlines()[0], out
