"""Read-side queries shared by the dashboards (no writes here)."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from intake.extensions import db
from intake.models import (
    Assignment,
    ClinicianProfile,
    Intake,
    IntakeStatus,
    Notification,
    NotificationStatus,
)

OPEN_STATUSES = (
    IntakeStatus.SUBMITTED,
    IntakeStatus.ASSIGNED,
    IntakeStatus.ACCEPTED,
    IntakeStatus.CONTACTED,
)


def dashboard_intakes(limit: int = 200) -> list[Intake]:
    """Open intakes, and drafts with a crisis answer: crisis first, then by urgency, then the
    longest waiting."""
    return list(
        db.session.scalars(
            select(Intake)
            # The list shows each intake's assignee: load them in two queries, not per row.
            .options(
                selectinload(Intake.assignments)
                .joinedload(Assignment.clinician)
                .joinedload(ClinicianProfile.user)
            )
            .where(
                or_(
                    Intake.status.in_(OPEN_STATUSES),
                    (Intake.status == IntakeStatus.DRAFT) & Intake.crisis_at.is_not(None),
                )
            )
            .order_by(
                Intake.urgency_rank,
                func.coalesce(Intake.submitted_at, Intake.crisis_at),
                Intake.id,
            )
            .limit(limit)
        )
    )


def dead_notifications(limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.intake))
            .where(Notification.status == NotificationStatus.DEAD)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
