"""Reading a record is an action too: who opened which intake is in the audit trail."""

from __future__ import annotations

from intake.audit import audit
from intake.extensions import db
from intake.models import User


def record_viewed(intake_id: int, actor: User, ip: str | None) -> None:
    """Audit that `actor` opened intake `intake_id`, and commit.

    The commit expires what the session loaded: callers that render the intake afterwards
    read it again (or load it with the options they need after this call).
    """
    audit("intake.viewed", "intake", intake_id, actor=actor, ip=ip)
    db.session.commit()


def record_exported(
    intake_id: int, actor: User, ip: str | None, document: str | None = None
) -> None:
    """Audit that `actor` downloaded intake `intake_id` (its FHIR QuestionnaireResponse, or the
    `document` named: "bundle"), commit.

    Like `record_viewed`, the commit expires what the session loaded.
    """
    detail = {"document": document} if document else {}
    audit("intake.exported", "intake", intake_id, actor=actor, ip=ip, **detail)
    db.session.commit()


def record_exported_to_file(intake_id: int, document: str) -> None:
    """Audit that an operator's command (`flask export fhir`) wrote intake `intake_id` to a
    file (no user: the command runs on the server), and commit."""
    audit("intake.exported", "intake", intake_id, document=document, via="cli")
    db.session.commit()
