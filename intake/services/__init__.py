"""Use cases and the transaction boundary.

Each public function here is one use case: it validates, changes rows, commits once, and
only then dispatches tasks by name (the outbox rows it wrote make the dispatch safe to lose).
"""

from intake.services.assignments import Outcome, accept, decline, held_assignment, reassign
from intake.services.common import (
    audit,
    clinical_director,
    coordinators,
    keyed_hash,
    new_reference,
    on_call,
    urgency_rank,
)
from intake.services.crisis import Ack, acknowledge_crisis, crisis_alert_rows, may_acknowledge
from intake.services.idempotency import ClientKey, KeyReused, body_hash
from intake.services.recipients import RecipientLimited, patient_email
from intake.services.sources import Origin, client_origin, web_origin
from intake.services.submit import Submitted, submit_intake

__all__ = [
    "Ack",
    "ClientKey",
    "KeyReused",
    "Origin",
    "Outcome",
    "RecipientLimited",
    "Submitted",
    "accept",
    "acknowledge_crisis",
    "audit",
    "body_hash",
    "client_origin",
    "clinical_director",
    "coordinators",
    "crisis_alert_rows",
    "decline",
    "held_assignment",
    "keyed_hash",
    "may_acknowledge",
    "new_reference",
    "on_call",
    "patient_email",
    "reassign",
    "submit_intake",
    "urgency_rank",
    "web_origin",
]
