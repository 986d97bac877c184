"""Every LOINC code the app's FHIR documents use, with where each was taken from.

This table is the check, not the home of the codes: the instruments (intake/screening) carry
their panel, item and answer codes, and the Bundle (intake/bundle.py) names each total score's
code in `TOTALS`. The suite checks that every LOINC code in the Questionnaire, in any
QuestionnaireResponse and in any Bundle is listed here, so a mistyped or made-up code fails a
test instead of reaching a practice's EHR. Each entry gives the code's page at loinc.org and
the section of shared/clinical-reference.md that cites it (with that section's own source).

Instruments without a LOINC code confirmed there (ASQ, PC-PTSD-5, ASRS, MDQ, SCOFF, OCI-4,
CSI-4, ECR-RS, PVS) are coded in the practice's own code system instead, never guessed.
"""

from __future__ import annotations

from typing import NamedTuple

SYSTEM = "http://loinc.org"


class LoincCode(NamedTuple):
    display: str
    source: str  # the code's page at loinc.org
    reference: str  # where the project took it from


def _code(code: str, display: str, reference: str) -> tuple[str, LoincCode]:
    return code, LoincCode(display, f"https://loinc.org/{code}/", reference)


_PHQ9 = "clinical-reference.md 2.1 (SPiER-Project adoption guide, FHIR-Resources/PHQ-9)"
_GAD7 = "clinical-reference.md 2.3 (HL7 personal-health-record-format-ig, GAD-7 example)"
_AUDITC = "clinical-reference.md 2.9"
_DAST = "clinical-reference.md 2.10"

CODES: dict[str, LoincCode] = dict(
    [
        # PHQ-9: panel, total, items (item 9 also evaluated on its own), answers.
        _code("44249-1", "PHQ-9 quick depression assessment panel", _PHQ9),
        _code("44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score", _PHQ9),
        _code("44250-9", "Little interest or pleasure in doing things", _PHQ9),
        _code("44255-8", "Feeling down, depressed, or hopeless", _PHQ9),
        _code("44259-0", "Trouble falling or staying asleep, or sleeping too much", _PHQ9),
        _code("44254-1", "Feeling tired or having little energy", _PHQ9),
        _code("44251-7", "Poor appetite or overeating", _PHQ9),
        _code("44258-2", "Feeling bad about yourself", _PHQ9),
        _code("44252-5", "Trouble concentrating on things", _PHQ9),
        _code("44253-3", "Moving or speaking slowly, or being fidgety or restless", _PHQ9),
        _code("44260-8", "Thoughts that you would be better off dead or hurting yourself", _PHQ9),
        _code("LA6568-5", "Not at all", _PHQ9),
        _code("LA6569-3", "Several days", _PHQ9),
        _code("LA6570-1", "More than half the days", _PHQ9),
        _code("LA6571-9", "Nearly every day", _PHQ9),
        # GAD-7: panel, total, items (answers shared with the PHQ-9 above).
        _code("69737-5", "Generalized anxiety disorder 7 item (GAD-7)", _GAD7),
        _code("70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score", _GAD7),
        _code("69725-0", "Feeling nervous, anxious or on edge", _GAD7),
        _code("68509-9", "Not being able to stop or control worrying", _GAD7),
        _code("69733-4", "Worrying too much about different things", _GAD7),
        _code("69734-2", "Trouble relaxing", _GAD7),
        _code("69735-9", "Being so restless that it is hard to sit still", _GAD7),
        _code("69689-8", "Becoming easily annoyed or irritable", _GAD7),
        _code("69736-7", "Feeling afraid as if something awful might happen", _GAD7),
        # AUDIT-C: panel, total, items.
        _code("72109-2", "AUDIT-C panel", _AUDITC),
        _code("75626-2", "Total score [AUDIT-C]", _AUDITC),
        _code("68518-0", "How often do you have a drink containing alcohol", _AUDITC),
        _code("68519-8", "How many standard drinks on a typical day", _AUDITC),
        _code("68520-6", "How often do you have 6 or more drinks on 1 occasion", _AUDITC),
        # DAST-10: total.
        _code("82667-7", "Total score [DAST-10]", _DAST),
    ]
)
