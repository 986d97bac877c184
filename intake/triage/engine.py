"""triage(answers) -> Decision: score, derive domains, then apply the rules in a fixed order.

Order: urgency rules (the most urgent wins; nothing lowers it) -> raise rules (P1) -> service
line (steps 1-4 as rules, 5-7 as the algorithm below) -> flag rules -> modality (first match).
Pure and deterministic: the same answers and rules always give the same decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake.screening import Score

from .domains import compute_domains
from .loader import FROM_PREFERENCE
from .model import Decision, Facts, Reason
from .ruleset import Ruleset
from .vocabulary import URGENCIES

_RANK = {u: i for i, u in enumerate(URGENCIES)}  # 0 = crisis (most urgent)


def _concerns(answers: Mapping[str, Any]) -> tuple[str, ...]:
    raw = answers.get("concerns")
    if not isinstance(raw, list | tuple):
        return ()
    seen: list[str] = []
    for c in raw:
        if isinstance(c, str) and c not in seen:
            seen.append(c)
    return tuple(seen)


def _best(rs: Ruleset, group: tuple[str, ...], scores: Mapping[str, Score]) -> str:
    """Within a group of positive domains, the one whose scale band is highest (tie: first)."""
    best, best_rank = group[0], -1
    for d in group:
        prefix = rs.precedence.band_of.get(d)
        band = scores[prefix].band if prefix else None
        rank = rs.precedence.band_rank.get(band, 0) if band else 0
        if rank > best_rank:
            best, best_rank = d, rank
    return best


def _line(rs: Ruleset, f: Facts, reasons: list[Reason]) -> str:
    """Primary service line, clinical-rules.md 4 steps 1-7 (first match wins)."""
    for rule in rs.line_rules:
        if rule.when(f):
            f.flags.update(rule.flags)
            reasons.append(rule.why)
            assert rule.line is not None  # noqa: S101 - the loader guarantees it
            return rule.line
    dom = f.domains
    st = rs.stated
    for concern in f.concerns:
        own = st.own_screen.get(concern, ())
        if not any(dom.get(d) is True for d in own):
            continue
        outrank = tuple(d for d in st.outranked_by.get(concern, ()) if dom.get(d) is True)
        if outrank:
            d = _best(rs, outrank, f.scores)
            line = rs.domain_line[d]
            text = st.outranked_reason.format(concern=concern, domain=rs.domain_label[d], line=line)
        else:
            d = next(d for d in own if dom.get(d) is True)
            line = rs.domain_line[d]
            text = st.reason.format(concern=concern, domain=rs.domain_label[d], line=line)
        reasons.append(Reason(st.id, text))
        return line
    for group in rs.precedence.order:
        positive = tuple(d for d in group if dom.get(d) is True)
        if positive:
            d = _best(rs, positive, f.scores)
            line = rs.domain_line[d]
            text = rs.precedence.reason.format(concern="", domain=rs.domain_label[d], line=line)
            reasons.append(Reason(rs.precedence.id, text))
            return line
    fb = rs.fallback
    for concern in f.concerns:
        if concern == "relationships":
            if f.answers.get("partner_willing") == "yes":
                line = "couples"
                reasons.append(
                    Reason(fb.id, fb.reason.format(concern=concern, line=line, domain=""))
                )
                return line
            reasons.append(Reason(fb.id, fb.relationships_reason))
            return "other"
        line_or_none = fb.concern_line.get(concern)
        if line_or_none is not None:
            reasons.append(
                Reason(fb.id, fb.reason.format(concern=concern, line=line_or_none, domain=""))
            )
            return line_or_none
    reasons.append(Reason(fb.id, fb.none_reason))
    return "other"


def _secondary(rs: Ruleset, f: Facts, primary: str) -> tuple[str, ...]:
    """Every other positive domain's line: stated concerns first, then precedence order."""
    out: list[str] = []
    dom = f.domains
    for concern in f.concerns:
        for d in rs.stated.own_screen.get(concern, ()):
            if dom.get(d) is True:
                out.append(rs.domain_line[d])
    for d, line in rs.domain_line.items():  # the table's order is the relevance order
        if dom.get(d) is True:
            out.append(line)
    seen = {primary}
    result = []
    for line in out:
        if line not in seen:
            seen.add(line)
            result.append(line)
    return tuple(result)


def decide(answers: Mapping[str, Any], rs: Ruleset) -> Decision:
    """Triage one intake's answers with a loaded ruleset (see `triage` for the contract)."""
    if not isinstance(answers, Mapping):
        answers = {}
    scores = {p: fn(answers) for p, fn in rs.scorers.items()}
    concerns = _concerns(answers)
    text = answers.get("free_text")
    crisis_text = isinstance(text, str) and rs.crisis_pattern.search(text) is not None
    f = Facts(
        answers,
        scores,
        compute_domains(answers, scores, rs.cutoffs, concerns),
        concerns,
        crisis_text,
    )
    reasons: list[Reason] = []
    if any(s.prorated for s in scores.values()):
        f.flags.add("prorated")

    level = len(URGENCIES)  # below routine until a rule fires
    for rule in rs.urgency_rules:
        if rule.fallback and level < len(URGENCIES):  # "anything else": only when none fired
            continue
        if rule.when(f):
            assert rule.urgency is not None  # noqa: S101 - the loader guarantees it
            level = min(level, _RANK[rule.urgency])
            f.flags.update(rule.flags)
            reasons.append(rule.why)
    f.urgency = URGENCIES[min(level, len(URGENCIES) - 1)]

    for rule in rs.raise_rules:
        if rule.when(f):
            assert rule.raise_max is not None  # noqa: S101
            cap = _RANK[rule.raise_max]
            current = _RANK[f.urgency]
            if current > cap:  # only ever more urgent, and never past the cap
                f.urgency = URGENCIES[max(current - rule.raise_by, cap)]
            f.flags.update(rule.flags)
            reasons.append(rule.why)

    f.line = _line(rs, f, reasons)

    for rule in rs.flag_rules:
        if rule.when(f):
            f.flags.update(rule.flags)
            reasons.append(rule.why)

    modality = "either"
    for rule in rs.modality_rules:
        if rule.when(f):
            modality = rule.modality or "either"
            if modality == FROM_PREFERENCE:
                pref = answers.get("modality_preference")
                modality = pref if pref in ("in_person", "virtual") else "either"
            reasons.append(rule.why)
            break

    return Decision(
        urgency=f.urgency,
        service_line=f.line,
        secondary_lines=_secondary(rs, f, f.line),
        modality=modality,
        flags=frozenset(f.flags),
        scores=scores,
        reasons=tuple(reasons),
        ruleset_version=rs.version,
    )
