"""Where a submission came from, and the hourly cap on automatic assignment per source.

Anyone can post the public form and a leaked key can post the API, so without a cap one source
could fill every clinician's caseload with invented intakes. A source (one API client, or one
client address on the public form) may have AUTO_ASSIGN_PER_SOURCE_PER_HOUR intakes in any
hour offered straight to a clinician (an admin may give one trusted API client its own number;
0 is no cap). Every later one is still saved, decided, shown its crisis help and, when it is a
crisis, alerted like any other; it only waits in its queue for a coordinator, flagged `volume`.
The count is of the source's submissions in the last hour, whatever became of them, so a burst
cannot reach the clinicians however it is shaped.

The source is stored as "client:<id>" or "addr:<keyed hash of the address>": never an address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from intake.extensions import db
from intake.models import ApiClient, Intake, IntakeStatus, Notification, utcnow
from intake.services.common import keyed_hash, serialize
from intake.services.offers import queue_for_coordinators

VOLUME_FLAG = "volume"  # an intake-level flag, added after triage (not a rules flag)
WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class Origin:
    key: str  # "client:<id>" or "addr:<keyed hash>"
    cap: int  # submissions per hour that may be assigned automatically; 0: no cap


def _default_cap() -> int:
    return int(current_app.config["AUTO_ASSIGN_PER_SOURCE_PER_HOUR"])


def web_origin(address: str | None) -> Origin:
    """The public form, posted from `address` (the client address ProxyFix leaves)."""
    return Origin(f"addr:{keyed_hash('client-address', address or 'unknown')}", _default_cap())


def client_origin(client: ApiClient) -> Origin:
    cap = client.auto_assign_per_hour
    return Origin(f"client:{client.id}", _default_cap() if cap is None else cap)


def over_cap(intake: Intake, origin: Origin | None) -> bool:
    """Whether `origin` already sent its hourly share before `intake` (flushed, not counted).

    Serialized per source (an advisory lock on PostgreSQL, until the commit), so that
    concurrent submissions from one source cannot all slip under the cap together.
    """
    if origin is None or origin.cap == 0:
        return False
    serialize(f"source:{origin.key}")
    earlier = db.session.scalar(
        select(func.count())
        .select_from(Intake)
        .where(
            Intake.source_key == origin.key,
            Intake.submitted_at >= utcnow() - WINDOW,
            Intake.id != intake.id,
        )
    )
    return (earlier or 0) >= origin.cap


def hold_for_volume(intake: Intake) -> list[Notification]:
    """Leave `intake` for a coordinator, flagged `volume` (shown with the decision's flags)."""
    decision = dict(intake.decision or {})
    decision["flags"] = sorted({*decision.get("flags", ()), VOLUME_FLAG})
    intake.decision = decision
    intake.status = IntakeStatus.SUBMITTED
    return queue_for_coordinators(intake, VOLUME_FLAG)
