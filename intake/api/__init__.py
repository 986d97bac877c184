"""JSON API for the practice's website and referral partners (contract.md, "The intake API")."""

from intake.api import documents, views  # noqa: F401 - the routes
from intake.api.blueprint import bp

__all__ = ["bp"]
