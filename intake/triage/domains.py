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


def _any(a: bool | None, b: bool | None, c: bool | None) -> bool | None:
    if a is True or b is True or c is True:
        return True
    return None if a is None or b is None or c is None else False


def compute_domains(
    answers: Mapping[str, Any], scores: Mapping[str, Score], c: Cutoffs, concerns: tuple[str, ...]
) -> dict[str, bool | None]:
    """DEP, DEP_SEV, ANX, ... for one intake.

    `reaches` is inlined where the score is known (`s[0]` is the total): this runs per decision.
    """
    get = answers.get
    phq9, gad7, audit = scores["phq9"], scores["gad7"], scores["auditc"]
    dast, ptsd, adhd, ocd = scores["dast"], scores["pcptsd5"], scores["asrs"], scores["oci4"]
    ed = reaches(scores["scoff"], c.scoff)
    ed_med: bool | None = False
    if ed is not False:  # only then do the medical signs matter
        body = bmi(answers)
        signs = _any(
            None if body is None else body < c.bmi_ed_med,
            get("ed_red_flags_today") == "yes",
            get("ed_red_flags_month") == "yes",
        )
        # ED and signs, three-valued (ED is True or unknown here)
        ed_med = False if signs is False else None if ed is None or signs is None else True
    alc_cutoff = c.auditc_male if get("sex") == "male" else c.auditc_other
    couples_stated = "couples" in concerns or (
        "relationships" in concerns and get("partner_willing") == "yes"
    )
    # CSI-4 confirms distress when answered; unanswered or unknown does not take COUPLES away.
    couples = couples_stated and scores["csi4"].positive is not False
    p, g, a, d = phq9[0], gad7[0], audit[0], dast[0]
    return {
        "DEP": reaches(phq9, c.phq9_dep) if p is None else p >= c.phq9_dep,
        "DEP_SEV": reaches(phq9, c.phq9_dep_sev) if p is None else p >= c.phq9_dep_sev,
        "ANX": reaches(gad7, c.gad7_anx) if g is None else g >= c.gad7_anx,
        "ANX_SEV": reaches(gad7, c.gad7_anx_sev) if g is None else g >= c.gad7_anx_sev,
        "PTSD": reaches(ptsd, c.pcptsd5) if ptsd[0] is None else ptsd[0] >= c.pcptsd5,
        "ADHD": reaches(adhd, c.asrs) if adhd[0] is None else adhd[0] >= c.asrs,
        "BIP": scores["mdq"].positive,
        "ED": ed,
        "ED_MED": ed_med,
        "ALC": reaches(audit, alc_cutoff) if a is None else a >= alc_cutoff,
        "DRUG": reaches(dast, c.dast) if d is None else d >= c.dast,
        "ADDICT_SEV": _any(
            reaches(audit, c.auditc_severe) if a is None else a >= c.auditc_severe,
            reaches(dast, c.dast_severe) if d is None else d >= c.dast_severe,
            get("withdrawal_risk") == "yes",
        ),
        "OCD": reaches(ocd, c.oci4) if ocd[0] is None else ocd[0] >= c.oci4,
        "IPV": scores["pvs"].positive,
        "COUPLES": couples,
    }
