"""Read a rules TOML file, validate it against the contract vocabulary and compile it.

Every problem is a RulesetError naming the file, the rule (or table) and the problem, so a
coordinator editing rules sees exactly what to fix. Nothing is parsed again per decision.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from intake.screening import scorers

from . import floor
from .codegen import compiled
from .conditions import Where, compile_condition
from .engine import decide
from .model import FROM_PREFERENCE, Rule, RulesetError
from .ruleset import (
    FallbackStep,
    HistoryStep,
    PartialStep,
    PrecedenceStep,
    Ruleset,
    StatedStep,
)
from .tables import (
    Ctx,
    cutoffs_table,
    one_of,
    phrase_pattern,
    targets_table,
    text_field,
    word_lists,
)
from .vocabulary import CONCERNS, DOMAINS, FLAGS, MODALITIES, SERVICE_LINES, URGENCIES

_TOP = frozenset(
    {
        "version", "cutoffs", "word_lists", "targets", "urgency", "raise", "service_line",
        "stated", "precedence", "fallback", "domain_line", "domain_label", "flags", "modality",
        "partial", "crisis_history", "hold_flags",
    }
)  # fmt: skip
# Fields each kind of rule may have, beyond id / when / reason.
_RULE_FIELDS: Mapping[str, frozenset[str]] = {
    "urgency": frozenset({"urgency", "flags", "fallback", *floor.MARKS}),
    "raise": frozenset({"by", "max", "flags"}),
    "service_line": frozenset({"line", "flags"}),
    "flags": frozenset({"flags"}),
    "modality": frozenset({"modality"}),
}


def _rule(ctx: Ctx, section: str, raw: object) -> Rule:
    if not isinstance(raw, Mapping):
        raise ctx.err(f"[[{section}]]", "each rule must be a table")
    rule_id = ctx.claim(raw.get("id"), section)
    where = f"rule {rule_id}"
    extra = set(raw) - {"id", "when", "reason"} - _RULE_FIELDS[section]
    if extra:
        raise ctx.err(where, f"unknown field(s) {sorted(extra)} in [[{section}]]")
    reason = text_field(ctx, where, raw, "reason")
    if "when" not in raw:
        raise ctx.err(where, "missing 'when'")
    when = compile_condition(raw["when"], Where(ctx.path, rule_id, section, ctx.word_lists))
    flags_raw = raw.get("flags", [])
    if not isinstance(flags_raw, list):
        raise ctx.err(where, "'flags' must be a list")
    flags = frozenset(one_of(ctx, where, f, FLAGS, "flag") for f in flags_raw)
    kw: dict[str, Any] = {}
    if section == "urgency":
        kw["urgency"] = one_of(ctx, where, raw.get("urgency"), URGENCIES, "urgency")
        fallback = raw.get("fallback", False)
        if not isinstance(fallback, bool):
            raise ctx.err(where, "'fallback' must be true or false")
        kw["fallback"] = fallback
        kw["marks"] = _marks(ctx, where, raw, kw["urgency"])
    elif section == "raise":
        by = raw.get("by")
        if type(by) is not int or by < 1:
            raise ctx.err(where, f"'by' must be a whole number of levels >= 1, got {by!r}")
        kw["raise_by"] = by
        kw["raise_max"] = one_of(ctx, where, raw.get("max"), URGENCIES, "urgency")
    elif section == "service_line":
        kw["line"] = one_of(ctx, where, raw.get("line"), SERVICE_LINES, "service line")
    elif section == "modality":
        allowed = (*MODALITIES, FROM_PREFERENCE)
        kw["modality"] = one_of(ctx, where, raw.get("modality"), allowed, "modality")
    elif not flags:
        raise ctx.err(where, "a [[flags]] rule needs a non-empty 'flags' list")
    return Rule(rule_id, section, when, reason, raw["when"], flags=flags, **kw)


def _marks(ctx: Ctx, where: str, raw: Mapping[str, Any], urgency: str) -> frozenset[str]:
    """The app-facing attributes of an [[urgency]] rule (floor.MARKS), each true or false."""
    marks = set()
    for mark in floor.MARKS:
        value = raw.get(mark, False)
        if not isinstance(value, bool):
            raise ctx.err(where, f"'{mark}' must be true or false")
        if value:
            marks.add(mark)
    if marks & {"crisis_floor", "medical_emergency"} and urgency != "crisis":
        raise ctx.err(where, 'crisis_floor and medical_emergency need urgency = "crisis"')
    if "support_panel" in marks and urgency == "crisis":
        raise ctx.err(
            where, "support_panel is for rules below crisis (crisis shows the crisis screen)"
        )
    return frozenset(marks)


def _partial(ctx: Ctx, data: Mapping[str, Any]) -> PartialStep:
    p = _table(ctx, data, "partial")
    pid = ctx.claim(p.get("id"), "partial")
    w = f"rule {pid}"
    sample = {k: "1" for k in ("instrument", "answered", "items", "missing", "low", "high")}
    return PartialStep(
        pid,
        _template(ctx, w, text_field(ctx, w, p, "reason"), **sample, score="1"),
        _template(ctx, w, text_field(ctx, w, p, "prorated_reason"), **sample, score="1"),
    )


def _crisis_history(ctx: Ctx, data: Mapping[str, Any]) -> HistoryStep:
    h = _table(ctx, data, "crisis_history")
    hid = ctx.claim(h.get("id"), "crisis_history")
    w = f"rule {hid}"
    return HistoryStep(hid, _template(ctx, w, text_field(ctx, w, h, "reason"), changes="x"))


def _hold_flags(ctx: Ctx, raw: object) -> frozenset[str]:
    if not isinstance(raw, list):
        raise ctx.err("hold_flags", "must be a list of flags (those that hold for a coordinator)")
    return frozenset(one_of(ctx, "hold_flags", f, FLAGS, "flag") for f in raw)


def _rules(ctx: Ctx, data: Mapping[str, Any], section: str) -> tuple[Rule, ...]:
    raw = data.get(section, [])
    if not isinstance(raw, list):
        raise ctx.err(f"[[{section}]]", "must be an array of tables ([[...]])")
    return tuple(_rule(ctx, section, r) for r in raw)


def _table(ctx: Ctx, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    raw = data.get(name)
    if not isinstance(raw, Mapping):
        raise ctx.err(f"[{name}]", "missing or not a table")
    return raw


def _domain_map(
    ctx: Ctx, where: str, raw: object, keys: tuple[str, ...]
) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, Mapping):
        raise ctx.err(where, "must be a table")
    out = {}
    for k, ds in raw.items():
        one_of(ctx, where, k, keys, "key")
        if not isinstance(ds, list) or not ds:
            raise ctx.err(where, f"{k}: needs a non-empty list of domains")
        out[k] = tuple(one_of(ctx, f"{where}.{k}", d, DOMAINS, "domain name") for d in ds)
    return out


def _template(ctx: Ctx, where: str, text: str, **sample: str) -> str:
    try:
        text.format(**sample)
    except (KeyError, IndexError, ValueError) as exc:
        raise ctx.err(where, f"bad placeholder in reason: {exc}") from None
    return text


def _steps(ctx: Ctx, data: Mapping[str, Any]) -> tuple[StatedStep, PrecedenceStep, FallbackStep]:
    s = _table(ctx, data, "stated")
    sid = ctx.claim(s.get("id"), "stated")
    w = f"rule {sid}"
    sample = {"concern": "x", "line": "y", "domain": "z"}
    stated = StatedStep(
        sid,
        _template(ctx, w, text_field(ctx, w, s, "reason"), **sample),
        _template(ctx, w, text_field(ctx, w, s, "outranked_reason"), **sample),
        _domain_map(ctx, f"{w} own_screen", s.get("own_screen"), CONCERNS),
        _domain_map(ctx, f"{w} outranked_by", s.get("outranked_by"), CONCERNS),
    )
    p = _table(ctx, data, "precedence")
    pid = ctx.claim(p.get("id"), "precedence")
    w = f"rule {pid}"
    order = p.get("order")
    if not isinstance(order, list) or not all(isinstance(g, list) and g for g in order):
        raise ctx.err(w, "'order' must be a list of non-empty lists of domains")
    ranks = p.get("band_rank", {})
    if not isinstance(ranks, Mapping) or not all(type(v) is int for v in ranks.values()):
        raise ctx.err(w, "'band_rank' must map band names to whole numbers")
    band_of = p.get("band_of", {})
    if not isinstance(band_of, Mapping):
        raise ctx.err(w, "'band_of' must be a table")
    for d, prefix in band_of.items():
        one_of(ctx, f"{w} band_of", d, DOMAINS, "domain name")
        one_of(ctx, f"{w} band_of", prefix, ("phq9", "gad7", "dast", "auditc"), "scale")
    precedence = PrecedenceStep(
        pid,
        _template(ctx, w, text_field(ctx, w, p, "reason"), **sample),
        tuple(tuple(one_of(ctx, w, d, DOMAINS, "domain name") for d in g) for g in order),
        dict(ranks),
        dict(band_of),
    )
    f = _table(ctx, data, "fallback")
    fid = ctx.claim(f.get("id"), "fallback")
    w = f"rule {fid}"
    lines = f.get("concern_line")
    if not isinstance(lines, Mapping):
        raise ctx.err(w, "'concern_line' must be a table")
    concern_line = {
        one_of(ctx, w, c, CONCERNS, "concern"): one_of(ctx, w, ln, SERVICE_LINES, "service line")
        for c, ln in lines.items()
    }
    fallback = FallbackStep(
        fid,
        _template(ctx, w, text_field(ctx, w, f, "reason"), **sample),
        text_field(ctx, w, f, "none_reason"),
        text_field(ctx, w, f, "relationships_reason"),
        concern_line,
    )
    return stated, precedence, fallback


def parse_ruleset(text: bytes, path: str) -> Ruleset:
    """Validate and compile rules from TOML bytes; `path` is used in messages and as identity."""
    ctx = Ctx(path)
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ctx.err("file", f"not valid TOML: {exc}") from None
    unknown = set(data) - _TOP
    if unknown:
        raise ctx.err("file", f"unknown top-level table(s) {sorted(unknown)}")
    declared = text_field(ctx, "file", data, "version")
    cutoffs = cutoffs_table(ctx, data.get("cutoffs", {}))
    words = word_lists(ctx, data.get("word_lists"))
    ctx.word_lists = frozenset(words)
    targets = targets_table(ctx, data.get("targets"))
    urgency_rules = _rules(ctx, data, "urgency")
    if not any(r.fallback for r in urgency_rules):
        raise ctx.err("[[urgency]]", "needs a fallback rule (fallback = true) for 'anything else'")
    raise_rules = _rules(ctx, data, "raise")
    line_rules = _rules(ctx, data, "service_line")
    stated, precedence, fallback = _steps(ctx, data)
    domain_line = {
        one_of(ctx, "[domain_line]", d, DOMAINS, "domain name"): one_of(
            ctx, f"domain_line.{d}", ln, SERVICE_LINES, "service line"
        )
        for d, ln in _table(ctx, data, "domain_line").items()
    }
    labels = _table(ctx, data, "domain_label")
    for d in DOMAINS:
        if not isinstance(labels.get(d), str):
            raise ctx.err("[domain_label]", f"missing plain-language label for domain {d}")
    for d in labels:
        one_of(ctx, "[domain_label]", d, DOMAINS, "domain name")
    flag_rules = _rules(ctx, data, "flags")
    modality_rules = _rules(ctx, data, "modality")
    if not modality_rules:
        raise ctx.err("[[modality]]", "needs at least one rule")
    partial = _partial(ctx, data)
    crisis_history = _crisis_history(ctx, data)
    hold_flags = _hold_flags(ctx, data.get("hold_flags"))
    digest = hashlib.sha256(text).hexdigest()[:8]
    ruleset = Ruleset(
        path=path,
        version=f"{declared}+{digest}",
        declared_version=declared,
        cutoffs=cutoffs,
        word_lists=words,
        lowered_crisis_pattern=phrase_pattern(words["crisis_words"]),
        targets=targets,
        urgency_rules=urgency_rules,
        raise_rules=raise_rules,
        line_rules=line_rules,
        stated=stated,
        precedence=precedence,
        fallback=fallback,
        domain_line=domain_line,
        domain_label={d: str(labels[d]) for d in DOMAINS},
        flag_rules=flag_rules,
        modality_rules=modality_rules,
        partial=partial,
        crisis_history=crisis_history,
        hold_flags=hold_flags,
        sections=compiled(
            urgency_rules, raise_rules, line_rules, flag_rules, modality_rules, path=path
        ),
        scorers=scorers(cutoffs),
    )
    floor.check(ruleset, decide)
    return ruleset


def load_ruleset(path: str | Path) -> Ruleset:
    """Load and validate a rules file; RulesetError naming the file, rule and problem."""
    p = Path(path)
    try:
        text = p.read_bytes()
    except OSError as exc:
        raise RulesetError(f"{p}: file: cannot read ({exc.strerror or exc})") from None
    return parse_ruleset(text, str(p))
