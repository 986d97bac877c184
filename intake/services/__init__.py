"""Use cases and the transaction boundary.

Each public function here is one use case: it validates, changes rows and writes its audit
entries, commits once, and only then dispatches tasks by name (the outbox rows it wrote make
the dispatch safe to lose). It returns one result (a dataclass or an enum) or raises a
`ServiceError` (services/errors.py). Views, commands and tasks call one and render its result;
they never commit or audit themselves.

Modules: submit (an intake, from the form or the API), drafts (save a step, resume links,
submit a draft, purge), crisis (alerts, acknowledge), offers (offer or queue, accept,
decline, reassign), outbox (deliver, retry a dead row, sweep), deadlines and digest (beat), records
(who viewed what), users and oncall (accounts, sign-in, the rota), api_clients, admin (what
administrators change: accounts, profiles, clinics, the rota, API clients; the audit log), demo.
"""

from intake.services.crisis import Ack, acknowledge_crisis, crisis_alert_rows, may_acknowledge
from intake.services.errors import (
    DraftClosed,
    KeyReused,
    RecipientLimited,
    ServiceError,
    TooManyResumeLinks,
)
from intake.services.idempotency import ClientKey, body_hash
from intake.services.offers import Outcome, accept, decline, held_assignment, reassign
from intake.services.recipients import patient_email
from intake.services.sources import Origin, client_origin, web_origin
from intake.services.submit import Submitted, submit_intake

__all__ = [
    "Ack",
    "ClientKey",
    "DraftClosed",
    "KeyReused",
    "Origin",
    "Outcome",
    "RecipientLimited",
    "ServiceError",
    "Submitted",
    "TooManyResumeLinks",
    "accept",
    "acknowledge_crisis",
    "body_hash",
    "client_origin",
    "crisis_alert_rows",
    "decline",
    "held_assignment",
    "may_acknowledge",
    "patient_email",
    "reassign",
    "submit_intake",
    "web_origin",
]
