"""A loaded, validated and compiled rules file (what `triage` runs against)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from intake.screening import Cutoffs, Scorer

from .model import Rule, Target
from .sections import Sections

CUTOFF_LABELS: Mapping[str, str] = {
    "phq9_dep": "PHQ-9 total at or above this counts as depression symptoms (DEP)",
    "phq9_dep_sev": "PHQ-9 total at or above this counts as severe depression (DEP_SEV)",
    "gad7_anx": "GAD-7 total at or above this counts as anxiety symptoms (ANX)",
    "gad7_anx_sev": "GAD-7 total at or above this counts as severe anxiety (ANX_SEV)",
    "pcptsd5": "PC-PTSD-5 yes answers at or above this count as trauma symptoms (PTSD)",
    "asrs": "ASRS Part A shaded answers at or above this count as attention difficulties (ADHD)",
    "mdq_yes": "MDQ question 1 yes answers needed (with same period and moderate/serious) (BIP)",
    "scoff": "SCOFF yes answers at or above this count as eating concerns (ED)",
    "auditc_male": "AUDIT-C at or above this counts as alcohol use (ALC), sex male",
    "auditc_other": "AUDIT-C at or above this counts as alcohol use (ALC), everyone else",
    "auditc_severe": "AUDIT-C at or above this counts as severe alcohol use (ADDICT_SEV)",
    "dast": "DAST-10 at or above this counts as drug use (DRUG)",
    "dast_severe": "DAST-10 at or above this counts as severe drug use (ADDICT_SEV)",
    "oci4": "OCI-4 total at or above this counts as obsessive-compulsive symptoms (OCD)",
    "csi4_distress": "CSI-4 total below this confirms relationship distress (COUPLES)",
    "bmi_ed_med": "BMI below this is a medical warning sign with a positive SCOFF (ED_MED)",
}
assert set(CUTOFF_LABELS) == {f.name for f in fields(Cutoffs)}  # noqa: S101 - import-time guard


@dataclass(frozen=True, slots=True)
class StatedStep:
    """Step 5: stated concern -> own-screen domains; concerns a severe domain outranks."""

    id: str
    reason: str
    outranked_reason: str
    own_screen: Mapping[str, tuple[str, ...]]
    outranked_by: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class PrecedenceStep:
    """Step 6: positive domains in groups; within a group the higher band wins."""

    id: str
    reason: str
    order: tuple[tuple[str, ...], ...]
    band_rank: Mapping[str, int]
    band_of: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FallbackStep:
    """Step 7: the first stated concern that names a service line; none -> other."""

    id: str
    reason: str
    none_reason: str
    relationships_reason: str
    concern_line: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class PartialStep:
    """D2: the reason listed for each summed scale with missing items (flag partial:<prefix>).

    Templates take {instrument}, {answered}, {items}, {missing}, {low}, {high} and {score}.
    """

    id: str
    reason: str
    prorated_reason: str


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """clinical-rules.md 3: the reason listed when a crisis answer given earlier was changed.

    The template takes {changes} (which answers, what they were, what they are now).
    """

    id: str
    reason: str


@dataclass(frozen=True)
class Ruleset:
    """Rules in force: version, cutoffs, targets and compiled rules, ready for `triage`."""

    path: str
    version: str
    declared_version: str
    cutoffs: Cutoffs
    word_lists: Mapping[str, tuple[str, ...]]
    lowered_crisis_pattern: re.Pattern[str]  # for text.lower(): use crisis_text()
    targets: Mapping[str, Target]
    urgency_rules: tuple[Rule, ...]
    raise_rules: tuple[Rule, ...]
    line_rules: tuple[Rule, ...]
    stated: StatedStep
    precedence: PrecedenceStep
    fallback: FallbackStep
    domain_line: Mapping[str, str]
    domain_label: Mapping[str, str]
    flag_rules: tuple[Rule, ...]
    modality_rules: tuple[Rule, ...]
    partial: PartialStep
    crisis_history: HistoryStep
    hold_flags: frozenset[str]  # a decision with any of these waits for a coordinator
    sections: Sections = field(repr=False)  # the rules above, compiled (what triage runs)
    scorers: Mapping[str, Scorer] = field(default_factory=dict, repr=False)

    def _marked(self, mark: str) -> frozenset[str]:
        return frozenset(r.id for r in self.urgency_rules if mark in r.marks)

    @property
    def crisis_rule_ids(self) -> frozenset[str]:
        """Urgency rules that set `crisis` (the crisis floor C1-C6 and any the practice adds):
        a saved answer firing one is a crisis answer (alert, crisis screen, `crisis_at`)."""
        return frozenset(r.id for r in self.urgency_rules if r.urgency == "crisis")

    @property
    def support_rule_ids(self) -> frozenset[str]:
        """Urgency rules marked `support_panel`: when one fires the form shows the support panel."""
        return self._marked("support_panel")

    @property
    def medical_rule_ids(self) -> frozenset[str]:
        """Crisis rules marked `medical_emergency`: the crisis screen leads with 911 / the ER."""
        return self._marked("medical_emergency")

    @property
    def crisis_words(self) -> tuple[str, ...]:
        """The crisis words and phrases (word list `crisis_words`, lower-cased)."""
        return self.word_lists["crisis_words"]

    def crisis_text(self, text: object) -> bool:
        """Whether free text contains a crisis word or phrase (whole words, any case)."""
        return (
            isinstance(text, str) and self.lowered_crisis_pattern.search(text.lower()) is not None
        )

    def describe(self) -> list[tuple[str, str, str]]:
        """(section, rule id, plain-language text) for the staff "rules in force" page."""
        out: list[tuple[str, str, str]] = [("Version", "version", f"Rules version {self.version}")]
        for name in CUTOFF_LABELS:
            out.append(("Cutoffs", name, f"{CUTOFF_LABELS[name]}: {getattr(self.cutoffs, name)}"))
        words = ", ".join(f'"{w}"' for w in self.crisis_words)
        out.append(
            (
                "Crisis words",
                "crisis_words",
                f"Free-text words and phrases that raise urgency: {words}",
            )
        )
        for urgency, t in self.targets.items():
            visit = f"; first visit within {t.first_visit}" if t.first_visit else ""
            out.append(("Targets", urgency, f"First contact within {t.first_contact}{visit}."))
        for title, rules in (("Urgency", self.urgency_rules), ("Urgency raise", self.raise_rules)):
            out.extend((title, r.id, r.reason) for r in rules)
        out.extend(("Service line", r.id, r.reason) for r in self.line_rules)
        out.append(("Service line", self.stated.id, _stated_text(self)))
        order = " > ".join(" vs ".join(group) for group in self.precedence.order)
        out.append(
            (
                "Service line",
                self.precedence.id,
                f"Otherwise the positive screens in this order: {order} (within a group the "
                "higher severity band wins; a tie goes to the first).",
            )
        )
        out.append(
            (
                "Service line",
                self.fallback.id,
                "Otherwise the first stated concern that names a service line; "
                "relationship concerns without a partner joining go to individual therapy "
                "(other); none: other.",
            )
        )
        out.extend(("Flags", r.id, r.reason) for r in self.flag_rules)
        out.append(
            (
                "Flags",
                self.partial.id,
                "A summed questionnaire with unanswered questions is flagged partial:<name>; "
                "a cutoff the answered questions already reach counts as reached.",
            )
        )
        out.append(("Urgency", self.crisis_history.id, self.crisis_history.reason))
        held = ", ".join(sorted(self.hold_flags))
        out.append(
            ("Flags", "hold_flags", f"These flags hold an intake for a coordinator: {held}.")
        )
        out.extend(("Modality", r.id, r.reason) for r in self.modality_rules)
        return out


def _stated_text(rs: Ruleset) -> str:
    outranks = "; ".join(
        f"{' or '.join(ds)} outranks a stated '{c}'" for c, ds in rs.stated.outranked_by.items()
    )
    return (
        "Otherwise the first concern the person stated whose own screen is positive, in the "
        f"order they listed them ({outranks})."
    )
