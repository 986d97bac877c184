"""The one family of domain errors the use cases raise: callers catch `ServiceError` or a subclass.

Each use case returns its result (a dataclass or an enum) when it did what it could; it raises
one of these when it refused, with nothing written unless the subclass says otherwise.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A use case refused the request; the transaction was rolled back (see each subclass)."""


class DraftClosed(ServiceError):
    """The draft was submitted (or purged): it can no longer change."""


class TooManyResumeLinks(ServiceError):
    """RESUME_LINKS_PER_HOUR links were emailed for this draft in the last hour: none is sent."""


class RecipientLimited(ServiceError):
    """The address had its hourly share of patient emails: nothing was written."""


class KeyReused(ServiceError):
    """This client sent this Idempotency-Key before with a different body."""
