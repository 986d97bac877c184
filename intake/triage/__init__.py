"""Triage core: rules as data (rules.toml), a small engine, plain-language reasons. Stdlib only.

    from intake.triage import triage
    decision = triage({"age": 34, "state": "NY", "concerns": ["depression"], "phq9_1": 2, ...})
    decision.urgency, decision.service_line, decision.to_dict()

Answers and decisions speak the contract vocabulary (shared/contract.md); the rules are
clinical-rules.md sections 1-5. Importable without Flask, SQLAlchemy or Celery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from .engine import decide
from .history import crisis_records, decide_with_history
from .loader import load_ruleset, parse_ruleset
from .model import Decision, Duration, Reason, RulesetError, Target
from .ruleset import Ruleset
from .vocabulary import (
    CONCERNS,
    DOMAINS,
    FLAGS,
    MODALITIES,
    PARTIAL_FLAG,
    SERVICE_LINES,
    STATES,
    URGENCIES,
    VOCABULARY,
    validate_answers,
)

RULES_PATH = Path(__file__).with_name("rules.toml")


@lru_cache(maxsize=1)
def default_ruleset() -> Ruleset:
    """The rules file shipped with the code (loaded, validated and compiled once)."""
    return load_ruleset(RULES_PATH)


def triage(answers: Mapping[str, Any], ruleset: Ruleset | None = None) -> Decision:
    """Decide urgency, service line, modality and flags for one intake's answers.

    Every key is optional: a missing answer means "not asked", never a negative screen. The
    answers should be validated first (`validate_answers`); unreadable values are ignored, not
    raised on. `ruleset` defaults to the shipped rules.
    """
    return decide(answers, ruleset if ruleset is not None else default_ruleset())


def triage_with_history(
    answers: Mapping[str, Any],
    history: Iterable[Mapping[str, Any]],
    ruleset: Ruleset | None = None,
) -> Decision:
    """`triage`, keeping every crisis answer in `history` as the floor (see `history`)."""
    return decide_with_history(
        answers, history, ruleset if ruleset is not None else default_ruleset()
    )


__all__ = [
    "crisis_records",
    "triage_with_history",
    "CONCERNS",
    "DOMAINS",
    "FLAGS",
    "MODALITIES",
    "PARTIAL_FLAG",
    "RULES_PATH",
    "SERVICE_LINES",
    "STATES",
    "URGENCIES",
    "VOCABULARY",
    "Decision",
    "Duration",
    "Reason",
    "Ruleset",
    "RulesetError",
    "Target",
    "default_ruleset",
    "load_ruleset",
    "parse_ruleset",
    "triage",
    "validate_answers",
]
