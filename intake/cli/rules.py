"""The rule owners' tools: `flask rules check | compiled | explain | replay`."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from intake.extensions import db
from intake.models import Intake
from intake.triage import Ruleset, RulesetError, default_ruleset, load_ruleset, triage


def _load(path: str | None) -> Ruleset:
    """The rules file at `path` (default: the one in force); a problem is a ClickException."""
    try:
        return load_ruleset(Path(path)) if path else default_ruleset()
    except RulesetError as exc:
        raise click.ClickException(str(exc)) from None


def register(app: Flask) -> None:
    rules = AppGroup("rules", help="Validate, explain and replay the triage rules.")
    app.cli.add_command(rules)

    @rules.command("check")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
    def rules_check(path: str | None) -> None:
        """Validate a rules file (default: the one in force) and print its version.

        A file without the crisis floor (C1-C6, each still deciding crisis), the marks the app
        reads (support panel, medical emergency), crisis words that act, or the hold flags is
        refused, with the file, rule and problem named.
        """
        ruleset = _load(path)
        click.echo(f"ok: {ruleset.version}")
        for label, values in (
            ("crisis rules", ruleset.crisis_rule_ids),
            ("medical emergency screen", ruleset.medical_rule_ids),
            ("support panel", ruleset.support_rule_ids),
            ("held for a coordinator", ruleset.hold_flags),
        ):
            click.echo(f"  {label}: {', '.join(sorted(values))}")
        click.echo(f"  crisis words: {len(ruleset.crisis_words)}")

    @rules.command("compiled")
    @click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False))
    def rules_compiled(path: str | None) -> None:
        """Print the Python that a rules file (default: the one in force) is compiled to.

        Each rule's condition writes itself (intake/triage/conditions.py) into one function for
        all sections; this is what `triage` runs, for review and for reading tracebacks.
        """
        ruleset = _load(path)
        click.echo(f"# rules {ruleset.version} ({ruleset.path})")
        click.echo(ruleset.sections.source, nl=False)

    @rules.command("explain")
    @click.argument("answers_file", type=click.File("r"))
    def rules_explain(answers_file: Any) -> None:
        """Answers (JSON, contract vocabulary) in, decision JSON out."""
        try:
            answers = json.load(answers_file)
        except json.JSONDecodeError as exc:
            raise click.ClickException(f"not JSON: {exc}") from None
        click.echo(json.dumps(triage(answers).to_dict(), indent=2, sort_keys=True))

    @rules.command("replay")
    @click.option("--rules", "draft", required=True, type=click.Path(exists=True, dir_okay=False))
    def rules_replay(draft: str) -> None:
        """Re-decide every stored intake with a draft rules file; print what would change."""
        ruleset = _load(draft)
        total, changed, changes = 0, 0, Counter[str]()
        rows = db.session.execute(
            select(Intake.answers, Intake.urgency, Intake.service_line).where(
                Intake.submitted_at.is_not(None)
            )
        )
        for answers, urgency, line in rows:
            total += 1
            new = triage(answers or {}, ruleset)
            changed += new.urgency != urgency or new.service_line != line
            if new.urgency != urgency:
                changes[f"urgency {urgency} -> {new.urgency}"] += 1
            if new.service_line != line:
                changes[f"service line {line} -> {new.service_line}"] += 1
        click.echo(f"draft {ruleset.version}: {total} intakes re-decided, nothing written")
        click.echo(
            f"{changed} of {total} decision(s) would change"
            if changed
            else "no decision would change"
        )
        for what, count in changes.most_common():
            click.echo(f"  {count:6d}  {what}")
