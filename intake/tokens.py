"""Signed, single-purpose tokens: the resume link that reopens a draft.

The token is signed {draft id, nonce tag}: no answers and no contact details. The draft's
`draft_token` is the nonce: replacing it revokes older links, clearing it (at submit) ends them
all. Below the services (which issue links) and the messages (which put one in an email).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from intake.extensions import db
from intake.models import Intake, IntakeStatus

RESUME_SALT = "wayfinder.resume-draft.v1"  # purpose: this signature opens a draft, nothing else
RESUME_MAX_AGE = timedelta(days=7)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESUME_SALT)


def _nonce_tag(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()[:24]


def resume_token(draft: Intake) -> str:
    """Signed {draft id, nonce tag}. ValueError for a draft without a nonce (submitted)."""
    if not draft.draft_token:
        raise ValueError(f"draft {draft.id} has no resume nonce")
    return str(_serializer().dumps({"d": draft.id, "n": _nonce_tag(draft.draft_token)}))


def resume_url(draft: Intake) -> str:
    """The link the resume email carries: BASE_URL + /resume/<token>.

    A draft submitted before its email went out has no nonce any more: the link is then the
    form's start page (the email still holds nothing but a link).
    """
    base = current_app.config["BASE_URL"].rstrip("/")
    if draft.status != IntakeStatus.DRAFT or not draft.draft_token:
        return f"{base}/"
    return f"{base}/resume/{resume_token(draft)}"


def signed_draft_id(token: str) -> tuple[int, bool] | None:
    """The draft id a genuine resume token names, and whether the token is past its age;
    None for a token we did not sign. Says nothing of whether it was used or revoked."""
    if not isinstance(token, str) or len(token) > 512:
        return None
    expired = False
    try:
        data = _serializer().loads(token, max_age=int(RESUME_MAX_AGE.total_seconds()))
    except SignatureExpired:
        expired = True
        try:
            data = _serializer().loads(token)  # the signature is ours; only its age is past
        except BadData:
            return None
    except BadData:
        return None
    draft_id = data.get("d") if isinstance(data, dict) else None
    return (draft_id, expired) if type(draft_id) is int else None


def from_resume_token(token: str) -> Intake | None:
    """The open draft a resume token names, or None (bad, expired, revoked, or submitted)."""
    if not isinstance(token, str) or len(token) > 512:
        return None
    try:
        data = _serializer().loads(token, max_age=int(RESUME_MAX_AGE.total_seconds()))
    except BadData:
        return None
    if not isinstance(data, dict) or type(data.get("d")) is not int:
        return None
    draft = db.session.get(Intake, data["d"])
    if draft is None or draft.status != IntakeStatus.DRAFT or not draft.draft_token:
        return None
    if not hmac.compare_digest(str(data.get("n")), _nonce_tag(draft.draft_token)):
        return None
    return draft
