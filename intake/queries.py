"""Read-side queries shared by the dashboards (no writes here)."""

from __future__ import annotations

from sqlalchemy import select

from intake.extensions import db
from intake.models import Intake, IntakeStatus, Notification, NotificationStatus

OPEN_STATUSES = (
    IntakeStatus.SUBMITTED,
    IntakeStatus.ASSIGNED,
    IntakeStatus.ACCEPTED,
    IntakeStatus.CONTACTED,
)


def dashboard_intakes(limit: int = 200) -> list[Intake]:
    """Open intakes: crisis first, then by urgency, then the longest waiting."""
    return list(
        db.session.scalars(
            select(Intake)
            .where(Intake.status.in_(OPEN_STATUSES))
            .order_by(Intake.urgency_rank, Intake.submitted_at, Intake.id)
            .limit(limit)
        )
    )


def dead_notifications(limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.status == NotificationStatus.DEAD)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
