"""The contract vocabulary (shared/contract.md) as data, and the answer validator built on it.

Answer keys and their allowed values, and the decision's urgencies, service lines, modalities and
flags. The rules loader checks every rule against these, and the API checks every submission.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from intake.screening import SUMMED

URGENCIES: tuple[str, ...] = ("crisis", "urgent", "soon", "routine")  # most urgent first
SERVICE_LINES: tuple[str, ...] = (
    "anxiety",
    "trauma",
    "couples",
    "depression",
    "adhd",
    "ocd",
    "bipolar",
    "eating_disorders",
    "addiction",
    "other",
)
MODALITIES: tuple[str, ...] = ("emergency", "in_person", "virtual", "either")
# clinical-rules.md D2: `partial:<instrument>` for a summed scale with unanswered items (set by
# the engine from the scores, not by a rule), so staff see that the score might be higher.
PARTIAL_FLAG: Mapping[str, str] = {prefix: f"partial:{prefix}" for prefix in SUMMED}
FLAGS: tuple[str, ...] = (
    "minor",
    "inconsistent",
    "incomplete",
    "ipv",
    "couples_on_hold",
    "stimulant_caution",
    "perinatal",
    "crisis_text",
    "prorated",
    "pvs_unknown",
    "ed_med_unknown",
    *PARTIAL_FLAG.values(),
)
# Domain flags of clinical-rules.md section 2, computed by the engine from the scores.
DOMAINS: tuple[str, ...] = (
    "DEP",
    "DEP_SEV",
    "ANX",
    "ANX_SEV",
    "PTSD",
    "ADHD",
    "BIP",
    "ED",
    "ED_MED",
    "ALC",
    "DRUG",
    "ADDICT_SEV",
    "OCD",
    "IPV",
    "COUPLES",
)
CONCERNS: tuple[str, ...] = (
    "anxiety",
    "trauma",
    "couples",
    "relationships",
    "depression",
    "adhd",
    "ocd",
    "bipolar",
    "eating",
    "substance",
    "other",
    "not_sure",
)
# 50 states, DC, and the inhabited territories (PR, VI, GU, AS, MP) where US licensure applies.
STATES: frozenset[str] = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR VI GU AS MP".split()
)
FREE_TEXT_MAX = 4000
LOCATION_MAX = 64

Kind = Literal["choice", "int", "number", "text", "concerns", "state"]


@dataclass(frozen=True, slots=True)
class Spec:
    """What one answer key accepts. `values` for choices; `low`/`high` for numbers."""

    kind: Kind
    values: tuple[object, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "number") or any(type(v) is int for v in self.values)


def _choice(*values: object) -> Spec:
    return Spec("choice", values)


def _range(low: int, high: int) -> Spec:
    return Spec("choice", tuple(range(low, high + 1)))


_YN = _choice("yes", "no")
_YNR = _choice("yes", "no", "refused")


def _build() -> dict[str, Spec]:
    v: dict[str, Spec] = {
        "age": Spec("int", low=0, high=130),
        "sex": _choice("female", "male", "other", "unspecified"),
        "state": Spec("state"),
        "modality_preference": _choice("in_person", "virtual", "no_preference"),
        "location": Spec("text", high=LOCATION_MAX),
        "concerns": Spec("concerns", CONCERNS),
        "free_text": Spec("text", high=FREE_TEXT_MAX),
        "asq_4_when": _choice("past_3_months", "longer_ago"),
        "asq_5": _YNR,
        "phq9_9": _choice(0, 1, 2, 3, "refused"),
        "pcptsd5_exposure": _YN,
        "mdq_same_period": _YN,
        "mdq_problem": _choice("none", "minor", "moderate", "serious"),
        "height_cm": Spec("number", low=50, high=250),
        "weight_kg": Spec("number", low=20, high=350),
        "drug_times": Spec("int", low=0, high=100_000),
        "csi4_1": _range(0, 6),
        "partner_willing": _choice("yes", "no", "unsure"),
        "safe_now": _choice("yes", "no", "not_sure"),
    }
    groups: list[tuple[str, range, Spec]] = [
        ("asq_", range(1, 5), _YNR),
        ("phq9_", range(1, 9), _range(0, 3)),
        ("gad7_", range(1, 8), _range(0, 3)),
        ("pcptsd5_", range(1, 6), _YN),
        ("asrs_", range(1, 7), _range(0, 4)),
        ("mdq_", range(1, 14), _YN),
        ("scoff_", range(1, 6), _YN),
        ("auditc_", range(1, 4), _range(0, 4)),
        ("dast_", range(1, 11), _YN),
        ("oci4_", range(1, 5), _range(0, 4)),
        ("csi4_", range(2, 5), _range(0, 5)),
        ("ecrrs_", range(1, 10), _range(1, 7)),
        ("pvs_", range(1, 4), _YN),
    ]
    for prefix, numbers, spec in groups:
        for n in numbers:
            v[f"{prefix}{n}"] = spec
    for key in (
        "harm_others",
        "harm_others_intent",
        "self_injury",
        "mania_now",
        "psychosis",
        "ed_red_flags_today",
        "ed_red_flags_month",
        "withdrawal_risk",
        "perinatal",
    ):
        v[key] = _YN
    return v


VOCABULARY: Mapping[str, Spec] = _build()


def _describe(values: tuple[object, ...]) -> str:
    if all(type(x) is int for x in values):
        return f"a whole number from {values[0]} to {values[-1]}"
    return "one of " + ", ".join(repr(x) if not isinstance(x, str) else x for x in values)


def check_value(key: str, value: object) -> str | None:
    """Why `value` is not acceptable for `key`, or None when it is. Unknown keys are an error."""
    spec = VOCABULARY.get(key)
    if spec is None:
        return "is not a known question"
    if spec.kind == "choice":
        # bool is an int subclass: True must not pass for 1, nor 1.0 for 1.
        if type(value) in (int, str) and value in spec.values:
            return None
        return f"must be {_describe(spec.values)}"
    if spec.kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if spec.kind == "int" and type(value) is not int:
            return "must be a whole number"
        if not math.isfinite(value) or not (spec.low or 0) <= value <= (spec.high or math.inf):
            return f"must be between {spec.low:g} and {spec.high:g}"
        return None
    if spec.kind == "text":
        if not isinstance(value, str):
            return "must be text"
        if spec.high is not None and len(value) > spec.high:
            return f"can be at most {int(spec.high):,} characters"
        return None
    if spec.kind == "state":
        if isinstance(value, str) and value in STATES:
            return None
        return "must be a two-letter US state or territory code (e.g. NY, DC, PR)"
    # concerns
    if not isinstance(value, list | tuple):
        return "must be a list"
    bad = [x for x in value if not isinstance(x, str) or x not in CONCERNS]
    if bad:
        return "may only contain " + ", ".join(CONCERNS)
    if len(set(value)) != len(value):
        return "lists a concern more than once"
    return None


def validate_answers(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Check keys and values against the contract vocabulary: [(key, message)], [] when valid.

    `None` for a key means "not answered" and is accepted. Messages are plain language and do
    not echo the value back (it may be health information).
    """
    if not isinstance(answers, Mapping):
        return [("answers", "must be an object of answers")]
    errors: list[tuple[str, str]] = []
    for key, value in answers.items():
        if not isinstance(key, str):
            errors.append((str(key), "is not a known question"))
            continue
        if value is None:
            continue
        message = check_value(key, value)
        if message is not None:
            errors.append((key, message))
    return errors
