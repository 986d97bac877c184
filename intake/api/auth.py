"""Bearer keys of API clients (RFC 6750): who is calling, and the rate-limit key that follows.

The client is looked up once per request (kept on `g`), first by the rate limit's key function,
which runs before the view: an API client is limited on its own count wherever it calls from,
and a request without a valid key on the count of its address. The Authorization header is
never logged.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from flask_limiter.util import get_remote_address

from intake.errors import problem
from intake.models import ApiClient
from intake.services import api_clients

REALM = 'Bearer realm="wayfinder"'


def _presented() -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def current_client() -> ApiClient | None:
    """The active API client that signed this request, or None."""
    if "api_client" not in g:
        token = _presented()
        g.api_client = api_clients.authenticate(token) if token else None
    client: ApiClient | None = g.api_client
    return client


def rate_key() -> str:
    """Limits count per API client; unauthenticated attempts per client address."""
    client = current_client()
    return f"api-client:{client.id}" if client else f"address:{get_remote_address()}"


def unauthorized() -> Any:
    """401 problem+json with the challenge; says whether a key was sent, never which."""
    sent = _presented() is not None
    response = problem(
        401,
        "That API key is not valid (unknown or revoked)."
        if sent
        else "Send your API key as 'Authorization: Bearer <key>'.",
    )
    response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if sent else "")
    return response
