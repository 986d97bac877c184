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

# An intake's assignments with each clinician and their user: the pages that list assignees
# (or who declined) load them in two queries instead of one per assignment.
WITH_ASSIGNEES = (
    selectinload(Intake.assignments)
    .joinedload(Assignment.clinician)
    .joinedload(ClinicianProfile.user)
)

OPEN_STATUSES = (
    IntakeStatus.SUBMITTED,
    IntakeStatus.ASSIGNED,
    IntakeStatus.ACCEPTED,
    IntakeStatus.CONTACTED,
)


def dashboard_intakes(limit: int = 200) -> list[Intake]:
    """Open intakes, and drafts with a crisis answer or left with crisis words: crisis first,
    then by urgency, then the longest waiting."""
    return list(
        db.session.scalars(
            select(Intake)
            # The list shows each intake's assignee: load them in two queries, not per row.
            .options(WITH_ASSIGNEES)
            .where(
                or_(
                    Intake.status.in_(OPEN_STATUSES),
                    (Intake.status == IntakeStatus.DRAFT)
                    & or_(
                        Intake.crisis_at.is_not(None), Intake.crisis_text_alerted_at.is_not(None)
                    ),
                )
            )
            .order_by(
                Intake.urgency_rank,
                func.coalesce(Intake.submitted_at, Intake.crisis_at, Intake.crisis_text_at),
                Intake.id,
            )
            .limit(limit)
        )
    )


def intake_detail(intake_id: int) -> Intake | None:
    """One intake with its assignments (assignee, who declined) and whoever acknowledged it."""
    return db.session.scalar(
        select(Intake)
        .options(WITH_ASSIGNEES, joinedload(Intake.acknowledged_by))
        .where(Intake.id == intake_id)
    )


def dead_notifications(limit: int = 50) -> list[Notification]:
    """Messages that could not be delivered, newest first, with their intake and recipient."""
    return list(
        db.session.scalars(
            select(Notification)
            .options(joinedload(Notification.intake), joinedload(Notification.recipient))
            .where(Notification.status == NotificationStatus.DEAD)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
