"""Schemathesis against the published document (/api/v1/openapi.json), in process.

Every operation the document lists is called with bodies, parameters and headers drawn from
it, valid and invalid (bounded: a few dozen cases each), signed in as an API client. Every
response must be no server error, one of the documented status codes and content types, and
fit its documented schema; a body the document forbids must be refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import schemathesis
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from hypothesis import HealthCheck, given, settings

from tests.support import api_key

BOUNDED = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _what_the_document_cannot_say(case: Any) -> None:
    """Two refusals that JSON Schema cannot state, so drawn values are moved inside them (so
    that the other fields are tried): a date of birth in the future or more than 120 years
    ago (the range moves with the day), and an address at a special-use domain (RFC 6761:
    .test, .invalid, .localhost...), which `format: email` allows and no one can receive."""
    contact = case.body.get("contact") if isinstance(case.body, dict) else None
    if not isinstance(contact, dict):
        return
    born = contact.get("date_of_birth")
    try:
        day = date.fromisoformat(born) if isinstance(born, str) else None
    except ValueError:
        day = None
    if day is not None and not 1930 <= day.year <= 2010:
        contact["date_of_birth"] = f"{1930 + day.year % 80}-{born[5:]}".replace("-02-29", "-02-28")
    email = contact.get("email")
    if isinstance(email, str) and "@" in email:
        domain = email.rsplit("@", 1)[1].lower().rstrip(".")
        if (
            domain.rsplit(".", 1)[-1] in SPECIAL_USE_DOMAIN_NAMES
            or domain in SPECIAL_USE_DOMAIN_NAMES
        ):
            contact["email"] = email.rsplit("@", 1)[0] + "@example.org"


def test_every_operation_keeps_to_the_document(app: Any, demo: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_key(app, 'test-partner')}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /intakes"}, [op.label for op in operations]
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def call(case: Any) -> None:
            _what_the_document_cannot_say(case)
            if case.headers and "Idempotency-Key" in case.headers:
                # A new key for each drawn body: a key reused with another body is refused by
                # design (422; tests/web/test_api.py), which is not what this test is about.
                case.headers["Idempotency-Key"] = (
                    f"{case.headers['Idempotency-Key'][:60]}-{uuid4()}"
                )
            case.call_and_validate(headers=headers)

        call()
