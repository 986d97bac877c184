"""Use cases and the transaction boundary.

Each public function here is one use case: it validates, changes rows, commits once, and
only then dispatches tasks by name (the outbox rows it wrote make the dispatch safe to lose).
"""

from intake.services.assignments import Outcome, accept, decline, reassign
from intake.services.common import (
    audit,
    clinical_director,
    coordinators,
    new_reference,
    on_call,
    urgency_rank,
)
from intake.services.crisis import Ack, acknowledge_crisis, crisis_alert_rows, may_acknowledge
from intake.services.submit import Submitted, submit_intake

__all__ = [
    "Ack",
    "Outcome",
    "Submitted",
    "accept",
    "acknowledge_crisis",
    "audit",
    "clinical_director",
    "coordinators",
    "crisis_alert_rows",
    "decline",
    "may_acknowledge",
    "new_reference",
    "on_call",
    "reassign",
    "submit_intake",
    "urgency_rank",
]
