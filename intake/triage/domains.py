"""Domain flags of clinical-rules.md section 2, computed from the scores with the rules' cutoffs.

Three-valued: True, False, or None (unknown). A partly answered scale whose answered items
already reach a cutoff counts as reaching it; one that could still reach it is unknown, never
negative (D2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from intake.screening import Cutoffs, Score
from intake.screening.scoff import bmi


def reaches(s: Score, cutoff: float) -> bool | None:
    """`score >= cutoff`, decided from the answered items' bounds when the score is unknown."""
    if s.score is not None:
        return s.score >= cutoff
    low = s.extra.get("low")
    if low is not None and low >= cutoff:
        return True
    high = s.extra.get("high")
    if high is not None and high < cutoff:
        return False
    return None


def _any(*parts: bool | None) -> bool | None:
    if True in parts:
        return True
    return None if None in parts else False


def _all(*parts: bool | None) -> bool | None:
    if False in parts:
        return False
    return None if None in parts else True


def compute_domains(
    answers: Mapping[str, Any], scores: Mapping[str, Score], c: Cutoffs, concerns: tuple[str, ...]
) -> dict[str, bool | None]:
    """DEP, DEP_SEV, ANX, ... for one intake."""
    phq9, gad7, audit = scores["phq9"], scores["gad7"], scores["auditc"]
    dast = scores["dast"]
    ed = reaches(scores["scoff"], c.scoff)
    body = bmi(answers)
    ed_signs = _any(
        None if body is None else body < c.bmi_ed_med,
        answers.get("ed_red_flags_today") == "yes",
        answers.get("ed_red_flags_month") == "yes",
    )
    alc_cutoff = c.auditc_male if answers.get("sex") == "male" else c.auditc_other
    couples_stated = "couples" in concerns or (
        "relationships" in concerns and answers.get("partner_willing") == "yes"
    )
    csi = scores["csi4"]
    # CSI-4 confirms distress when answered; unanswered or unknown does not take COUPLES away.
    couples = couples_stated and csi.positive is not False
    return {
        "DEP": reaches(phq9, c.phq9_dep),
        "DEP_SEV": reaches(phq9, c.phq9_dep_sev),
        "ANX": reaches(gad7, c.gad7_anx),
        "ANX_SEV": reaches(gad7, c.gad7_anx_sev),
        "PTSD": reaches(scores["pcptsd5"], c.pcptsd5),
        "ADHD": reaches(scores["asrs"], c.asrs),
        "BIP": scores["mdq"].positive,
        "ED": ed,
        "ED_MED": _all(ed, ed_signs) if ed is not False else False,
        "ALC": reaches(audit, alc_cutoff),
        "DRUG": reaches(dast, c.dast),
        "ADDICT_SEV": _any(
            reaches(audit, c.auditc_severe),
            reaches(dast, c.dast_severe),
            answers.get("withdrawal_risk") == "yes",
        ),
        "OCD": reaches(scores["oci4"], c.oci4),
        "IPV": scores["pvs"].positive,
        "COUPLES": couples,
    }
