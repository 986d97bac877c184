"""triage(answers) -> Decision: score, derive domains, then apply the rules in a fixed order.

Order: urgency rules (the most urgent wins; nothing lowers it) -> raise rules (P1) -> service
line (steps 1-4 as rules, 5-7 as the algorithm below) -> flag rules -> modality (first match).
Pure and deterministic: the same answers and rules always give the same decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from intake.screening import INSTRUMENTS, Score
from intake.screening.base import new_tuple

from .domains import compute_domains
from .model import Decision, Facts, Reason
from .ruleset import Ruleset
from .vocabulary import PARTIAL_FLAG


def _concerns(answers: Mapping[str, Any]) -> tuple[str, ...]:
    raw = answers.get("concerns")
    if not isinstance(raw, (list, tuple)):  # noqa: UP038 - the tuple form is faster
        return ()
    seen: list[str] = []
    for c in raw:
        if isinstance(c, str) and c not in seen:
            seen.append(c)
    return tuple(seen)


@lru_cache(maxsize=4096)
def _reason(rule_id: str, template: str, concern: str, domain: str, line: str) -> Reason:
    """The Reason for steps 5-7 (few distinct ones: formatted once, then shared; immutable)."""
    return Reason(rule_id, template.format(concern=concern, domain=domain, line=line))


def _best(rs: Ruleset, group: list[str], scores: Mapping[str, Score]) -> str:
    """Within a group of positive domains, the one whose scale band is highest (tie: first)."""
    if len(group) == 1:
        return group[0]
    best, best_rank = group[0], -1
    for d in group:
        prefix = rs.precedence.band_of.get(d)
        band = scores[prefix].band if prefix else None
        rank = rs.precedence.band_rank.get(band, 0) if band else 0
        if rank > best_rank:
            best, best_rank = d, rank
    return best


def _positive(domains: Mapping[str, bool | None], names: tuple[str, ...]) -> list[str]:
    """The names whose domain is positive, in order (a plain loop: this runs per decision)."""
    out = []
    for d in names:
        if domains[d] is True:
            out.append(d)
    return out


def _line(rs: Ruleset, f: Facts, reasons: list[Reason]) -> str:
    """Primary service line, clinical-rules.md 4 steps 5-7 (steps 1-4 are the rules before)."""
    dom = f.domains
    if f.any_positive:  # steps 5-6 need a positive domain
        st = rs.stated
        for concern in f.concerns:
            own = _positive(dom, st.own_screen.get(concern, ()))
            if not own:
                continue
            outrank = _positive(dom, st.outranked_by.get(concern, ()))
            if outrank:
                d = _best(rs, outrank, f.scores)
                template = st.outranked_reason
            else:
                d = own[0]
                template = st.reason
            line = rs.domain_line[d]
            reasons.append(_reason(st.id, template, concern, rs.domain_label[d], line))
            return line
        pr = rs.precedence
        for group in pr.order:
            positive = _positive(dom, group)
            if positive:
                d = _best(rs, positive, f.scores)
                line = rs.domain_line[d]
                reasons.append(_reason(pr.id, pr.reason, "", rs.domain_label[d], line))
                return line
    fb = rs.fallback
    for concern in f.concerns:
        if concern == "relationships":
            if f.answers.get("partner_willing") == "yes":
                line = "couples"
                reasons.append(_reason(fb.id, fb.reason, concern, "", line))
                return line
            reasons.append(Reason(fb.id, fb.relationships_reason))
            return "other"
        line_or_none = fb.concern_line.get(concern)
        if line_or_none is not None:
            reasons.append(_reason(fb.id, fb.reason, concern, "", line_or_none))
            return line_or_none
    reasons.append(Reason(fb.id, fb.none_reason))
    return "other"


def _secondary(rs: Ruleset, f: Facts, primary: str) -> tuple[str, ...]:
    """Every other positive domain's line: stated concerns first, then precedence order."""
    if not f.any_positive:
        return ()
    dom = f.domains
    lines = rs.domain_line
    seen = {primary}
    result: list[str] = []
    for concern in f.concerns:
        for d in rs.stated.own_screen.get(concern, ()):
            if dom[d] is True and (line := lines[d]) not in seen:
                seen.add(line)
                result.append(line)
    for d, line in lines.items():  # the table's order is the relevance order
        if dom[d] is True and line not in seen:
            seen.add(line)
            result.append(line)
    return tuple(result)


@lru_cache(maxsize=4096)
def _partial_reason(
    rule_id: str, template: str, prefix: str, x: tuple[int, int, int, int], score: object
) -> Reason:
    """The D2 reason for a scale with missing items (few distinct ones: formatted once)."""
    answered, items, low, high = x
    text = template.format(
        instrument=INSTRUMENTS[prefix].name,
        answered=answered,
        items=items,
        missing=items - answered,
        low=low,
        high=high,
        score=score,
    )
    return Reason(rule_id, text)


def _missing_items(rs: Ruleset, f: Facts) -> list[Reason]:
    """Flag `prorated` and `partial:<instrument>` (clinical-rules.md D2); their reasons.

    A summed scale with missing items keeps its bounds in `extra` (intake.screening.base); a
    complete or unasked one has an empty `extra`, so most scores cost one length test.
    """
    out: list[Reason] = []
    p = rs.partial
    for prefix, s in f.scores.items():
        extra = s[4]
        if not extra and not s[3]:
            continue
        if s[3]:
            f.flags.add("prorated")
        flag = PARTIAL_FLAG.get(prefix)
        if flag is not None and "high" in extra:
            f.flags.add(flag)
            x = (extra["answered"], extra["items"], extra["low"], extra["high"])
            template = p.prorated_reason if s[3] else p.reason
            out.append(_partial_reason(p.id, template, prefix, x, s[0]))
    return out


def decide(answers: Mapping[str, Any], rs: Ruleset) -> Decision:
    """Triage one intake's answers with a loaded ruleset (see `triage` for the contract)."""
    if type(answers) is not dict and not isinstance(answers, Mapping):
        answers = {}
    scores = {p: fn(answers) for p, fn in rs.scorers.items()}
    concerns = _concerns(answers)
    crisis_text = rs.crisis_text(answers.get("free_text"))
    domains = compute_domains(answers, scores, rs.cutoffs, concerns)
    # (domain values are True, False or None, so `in` finds exactly a True one)
    f = Facts(answers, scores, domains, concerns, crisis_text, True in domains.values())
    reasons: list[Reason] = []
    # Set before the rules run (a rule may read them); their reasons come after the rules'.
    missing = _missing_items(rs, f)

    # Generated from the rules at load time (codegen.py); `_line` is service-line steps 5-7.
    modality = rs.sections.apply(f, reasons, _line, rs)
    assert f.urgency is not None and f.line is not None  # noqa: S101 - apply always sets them
    if missing:
        reasons.extend(missing)

    return new_tuple(
        Decision,
        (
            f.urgency,  # urgency
            f.line,  # service_line
            _secondary(rs, f, f.line),  # secondary_lines
            modality,
            frozenset(f.flags),  # flags
            scores,
            tuple(reasons),  # reasons
            rs.version,  # ruleset_version
        ),
    )
