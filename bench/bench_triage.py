"""Triage decisions per second on one core, against baselines measured in the same run.

    python bench/bench_triage.py [--mix form|every] [--rounds 5] [--seconds 1] [--seed 2026]
    python bench/bench_triage.py --decisions 200000   # fixed work, for timing whole processes

Generates a seeded, realistic mix of intakes (most routine, some urgent, a few crisis; every
instrument present, with gaps), then times `triage()` over them and three baselines on the same
answers: the same rules run by the interpreted reading of the one engine (each rule's condition
object called in turn, `sections.interpreted`, instead of the source those objects generate),
a plain PHQ-9 sum, and a JSON round-trip of the answers (what the API does anyway). The four
are measured in turn, round after round, so that a change in the host's speed shows in all of
them; each column is the median over the rounds, and the ratio is the median of the per-round
ratios. The process pins itself to one CPU where the OS allows it.
Not part of the test suite; prints figures and ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from intake.public.pages import PAGES, pages_for, shown_keys  # noqa: E402
from intake.triage import CONCERNS, default_ruleset, triage  # noqa: E402
from intake.triage.sections import interpreted  # noqa: E402

TOPICS = [c for c in CONCERNS if c != "not_sure"] + ["not_sure"]


def _items(rng: random.Random, prefix: str, n: int, high: int, lean: float) -> dict[str, int]:
    """n items 0..high; `lean` in [0, 1] pushes answers up (a symptomatic person)."""
    return {f"{prefix}_{i}": min(high, int(rng.random() * (high + 1) * lean + rng.random()))
            for i in range(1, n + 1)}  # fmt: skip


def _yes(rng: random.Random, prefix: str, n: int, p: float) -> dict[str, str]:
    return {f"{prefix}_{i}": "yes" if rng.random() < p else "no" for i in range(1, n + 1)}


def make_intake(rng: random.Random) -> dict[str, Any]:
    """One plausible submitted intake in the contract vocabulary."""
    lean = rng.random() ** 1.5  # most people mild
    a: dict[str, Any] = {
        "age": rng.choice([16, 19, 24, 31, 38, 45, 52, 63, 70]),
        "sex": rng.choice(["female", "male", "other", "unspecified"]),
        "state": rng.choice(["NY", "CA", "TX", "FL", "DC", "PR", "WA", "IL"]),
        "modality_preference": rng.choice(["in_person", "virtual", "no_preference"]),
        "concerns": rng.sample(TOPICS, rng.choice([0, 1, 1, 1, 2, 3])),
        "free_text": rng.choices(
            ["", "Trouble sleeping since the move.", "I pull away when people get close.",
             "Work stress and panic attacks.", "Grief after my father died. " * 5,
             "Sometimes I think about suicide."],
            [30, 20, 20, 20, 8, 2],
        )[0],
    }  # fmt: skip
    crisis = rng.random() < 0.03
    a |= {f"asq_{i}": "yes" if crisis and i == 1 else "no" for i in range(1, 5)}
    if crisis:
        a["asq_5"] = rng.choice(["yes", "no", "refused"])
    a |= _items(rng, "phq9", 9, 3, lean)
    if rng.random() < 0.85:
        a["phq9_9"] = 0  # item 9 is rarely endorsed
    if rng.random() < 0.05:
        a.pop(f"phq9_{rng.randint(1, 8)}")  # prorated
    a |= _items(rng, "gad7", 7, 3, lean)
    exposed = rng.random() < 0.4
    a["pcptsd5_exposure"] = "yes" if exposed else "no"
    if exposed:
        a |= _yes(rng, "pcptsd5", 5, lean)
    a |= _items(rng, "asrs", 6, 4, lean)
    a |= _yes(rng, "mdq", 13, lean * 0.6)
    a["mdq_same_period"] = rng.choice(["yes", "no"])
    a["mdq_problem"] = rng.choice(["none", "minor", "moderate", "serious"])
    a |= _yes(rng, "scoff", 5, lean * 0.4)
    a["height_cm"] = round(rng.uniform(150, 195), 1)
    a["weight_kg"] = round(rng.uniform(42, 120), 1)
    a |= _items(rng, "auditc", 3, 4, lean)
    a["drug_times"] = rng.choice([0, 0, 0, 0, 1, 4, 20])
    if a["drug_times"]:
        a |= _yes(rng, "dast", 10, lean)
    a |= _items(rng, "oci4", 4, 4, lean)
    if {"couples", "relationships"} & set(a["concerns"]):
        a |= {f"csi4_{i}": rng.randint(0, 5) for i in range(1, 5)}
        a |= {f"ecrrs_{i}": rng.randint(1, 7) for i in range(1, 10)}
        a["partner_willing"] = rng.choice(["yes", "no", "unsure"])
        a |= {"pvs_1": "no", "pvs_2": rng.choice(["yes", "yes", "no"]), "pvs_3": "no"}
    a["safe_now"] = rng.choices(["yes", "not_sure", "no"], [0.97, 0.025, 0.005])[0]
    for key in ("harm_others", "self_injury", "mania_now", "psychosis", "ed_red_flags_today",
                "ed_red_flags_month", "withdrawal_risk", "perinatal"):  # fmt: skip
        a[key] = "yes" if rng.random() < 0.015 else "no"
    return a


# "--mix form" keeps only what the web form would have asked for these answers: its own pages,
# blocks and item conditions (intake/public/pages.py), so the two cannot drift apart.
_ITEM_KEYS = frozenset(i.key for p in PAGES for b in p.blocks for i in b.items)


def as_the_form_asks(a: dict[str, Any]) -> dict[str, Any]:
    shown = set().union(*(shown_keys(p, a) for p in pages_for(a)))
    return {k: v for k, v in a.items() if k not in _ITEM_KEYS or k in shown}


def rate(
    fn: Callable[[dict[str, Any]], object], pool: list[dict[str, Any]], seconds: float
) -> float:
    """Calls per second of fn over the pool, for about `seconds` of wall time."""
    calls, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for answers in pool:
            fn(answers)
        calls += len(pool)
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - start)


def phq9_sum(a: dict[str, Any]) -> int:
    return sum(v for i in range(1, 10) if isinstance(v := a.get(f"phq9_{i}"), int))


def json_round_trip(a: dict[str, Any]) -> object:
    return json.loads(json.dumps(a))


def pin_to_one_cpu() -> str:
    """Run on one CPU (the last one this process may use), where the OS allows it."""
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned"
    cpu = max(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"pinned to CPU {cpu}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measure per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the four measures")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pool", type=int, default=2000, help="distinct intakes in the mix")
    parser.add_argument(
        "--mix",
        choices=("form", "every"),
        default="form",
        help="form: only what the web form asks for the stated concerns; "
        "every: every instrument answered (the worst case)",
    )
    parser.add_argument(
        "--decisions",
        type=int,
        default=0,
        help="make exactly this many decisions over the pool and print nothing else "
        "(time the whole process from outside)",
    )
    parser.add_argument("--json", help="also write the result here (for bench/report.py)")
    args = parser.parse_args(argv)
    pinned = pin_to_one_cpu()

    rng = random.Random(args.seed)  # noqa: S311 - benchmark data, not security
    pool = [make_intake(rng) for _ in range(args.pool)]
    if args.mix == "form":
        pool = [as_the_form_asks(a) for a in pool]
    ruleset = default_ruleset()
    if args.decisions:
        for i in range(args.decisions):
            triage(pool[i % len(pool)], ruleset)
        return 0
    mix = Counter(triage(a, ruleset).urgency for a in pool)
    for a in pool[:200]:  # warm up
        triage(a, ruleset)

    rs = ruleset
    plain = dataclasses.replace(
        rs,
        sections=interpreted(
            rs.urgency_rules, rs.raise_rules, rs.line_rules, rs.flag_rules, rs.modality_rules
        ),
    )
    measures: dict[str, Callable[[dict[str, Any]], object]] = {
        "triage() decisions": lambda a: triage(a, ruleset),
        "same rules, interpreted": lambda a: triage(a, plain),
        "baseline: PHQ-9 plain sum": phq9_sum,
        "baseline: JSON round-trip": json_round_trip,
    }
    rounds: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(args.rounds):
        for name, fn in measures.items():
            rounds[name].append(rate(fn, pool, args.seconds))
    decisions = rounds["triage() decisions"]

    print(f"python {platform.python_version()} on {platform.machine()}, one core ({pinned})")
    print(f"rules {ruleset.version}; mix '{args.mix}': {dict(sorted(mix.items()))} of {len(pool)}")
    print(f"{args.rounds} rounds of {args.seconds:g} s per measure; medians over the rounds")
    print(f"{'measure':<28}{'per second':>12}{'min - max':>22}{'us each':>9}{'triage / it':>13}")
    rows = []
    for name, per_round in rounds.items():
        r = statistics.median(per_round)
        spread = f"{min(per_round):,.0f} - {max(per_round):,.0f}"
        ratio = (
            statistics.median(d / b for d, b in zip(decisions, per_round, strict=True))
            if per_round is not decisions
            else None
        )
        shown = f"{ratio:.3f}" if ratio is not None else ""
        print(f"{name:<28}{r:>12,.0f}{spread:>22}{1e6 / r:>9.1f}{shown:>13}")
        rows.append({"measure": name, "per_s": r, "min": min(per_round), "max": max(per_round),
                     "ratio": ratio})  # fmt: skip
    if args.json:
        from stack import write_result

        write_result(
            args.json,
            "triage",
            {"mix": args.mix, "rounds": args.rounds, "seconds": args.seconds, "pinned": pinned,
             "rows": rows, "target": 20_000, "met": statistics.median(decisions) >= 20_000},
        )  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
