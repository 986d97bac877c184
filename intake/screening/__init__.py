"""Screening instruments: published wording for the form and pure scoring. Stdlib only.

`INSTRUMENTS` is keyed by the contract's answer-key prefix; `score_all` scores every one of them
with the practice's cutoffs. The practice-authored safety items live in `SAFETY` (not scored, not a
validated instrument).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from . import (
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
    safety,
    scoff,
)
from .base import DEFAULT_CUTOFFS, NOT_ASKED, Cutoffs, Instrument, Item, Scale, Score

INSTRUMENTS: dict[str, Instrument] = {
    m.INSTRUMENT.key: m.INSTRUMENT
    for m in (asq, phq9, gad7, pcptsd5, asrs, mdq, scoff, auditc, dast, oci4, csi4, ecrrs, pvs)
}
SAFETY: Instrument = safety.INSTRUMENT
PREFIXES: tuple[str, ...] = tuple(INSTRUMENTS)
# The instruments scored as a sum or count of items, each declared as data (base.Scale) over
# one scorer: a partly answered one keeps the bounds of its total in `Score.extra`
# (clinical-rules.md D2). ASQ and PVS are rules and ECR-RS gives means, so they have no bounds.
SCALES: dict[str, Scale] = {
    m.SCALE.key: m.SCALE for m in (phq9, gad7, pcptsd5, asrs, mdq, scoff, auditc, dast, oci4, csi4)
}
SUMMED: tuple[str, ...] = tuple(SCALES)

Scorer = Callable[[Mapping[str, Any]], Score]
# The instruments with a scoring rule of their own (not a sum), each a plain `score(answers)`.
_OWN_RULE: dict[str, Scorer] = {"asq": asq.score, "ecrrs": ecrrs.score, "pvs": pvs.score}


def scorers(c: Cutoffs = DEFAULT_CUTOFFS) -> dict[str, Scorer]:
    """One scoring function per prefix with the cutoffs bound (built once per ruleset).

    Each gives exactly what `SCALES[prefix].score(answers, c)` (or the module's `score`) gives;
    the summed scales use a table of results precomputed for these cutoffs (Scale.scorer).
    """
    return {p: SCALES[p].scorer(c) if p in SCALES else _OWN_RULE[p] for p in PREFIXES}


@cache
def _default_scorers() -> dict[str, Scorer]:
    """Built on first use: the precomputed tables cost a few milliseconds at import otherwise."""
    return scorers()


def score_all(answers: Mapping[str, Any], config: Cutoffs | None = None) -> dict[str, Score]:
    """Score every instrument; every prefix is present (NOT_ASKED when nothing was answered)."""
    table = _default_scorers() if config is None else scorers(config)
    return {prefix: fn(answers) for prefix, fn in table.items()}


__all__ = [
    "DEFAULT_CUTOFFS",
    "INSTRUMENTS",
    "NOT_ASKED",
    "PREFIXES",
    "SAFETY",
    "SCALES",
    "SUMMED",
    "Cutoffs",
    "Instrument",
    "Item",
    "Scale",
    "Score",
    "Scorer",
    "score_all",
    "scorers",
]
