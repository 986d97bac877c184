"""Clinicians see only their own assignments."""

from intake.clinician.views import bp

__all__ = ["bp"]
