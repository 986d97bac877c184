"""Draft use cases: the questionnaire saved as the person goes, resume links, submit, purge.

A draft is an `Intake` row with status 'draft'. Each step saves into it (contact details first,
so outreach is possible if the page is closed after a crisis answer). The browser holds only the
draft id in the signed session; a resume link (`intake.tokens`: signed, single-purpose, 7 days)
restores it. The draft's `draft_token` is a nonce: asking for a new link replaces it, which
revokes older links, and submitting clears it, which ends them all. At most
RESUME_LINKS_PER_HOUR links are emailed per draft in an hour, whichever button asked.

A link is used once: opening it (`open_resume_link`) replaces the nonce, so the same link never
opens the draft again, and the browser that opened it is asked for the date of birth before any
answer is shown (`check_resume`); after RESUME_TRIES wrong dates that browser's session ends and
a new link can be asked for (`resend_resume_link`, to the address on file). Each step is audited
by the draft's id.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from intake import jobs, notifications
from intake.audit import audit
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Notification, NotificationKind, utcnow
from intake.services.common import new_reference, urgency_rank
from intake.services.crisis import crisis_alert_rows
from intake.services.errors import DraftClosed, RecipientLimited, TooManyResumeLinks
from intake.services.recipients import patient_email
from intake.services.sources import Origin
from intake.services.submit import Submitted, submit_intake
from intake.tokens import (
    from_resume_token,
    resume_token,
    resume_url,
    signed_draft_id,
)
from intake.triage import Decision, crisis_records, default_ruleset, triage

__all__ = [
    "DRAFT_TTL",
    "RESUME_LINKS_PER_HOUR",
    "RESUME_TRIES",
    "DraftClosed",
    "ResumeLink",
    "Saved",
    "check_resume",
    "TooManyResumeLinks",
    "from_resume_token",
    "get",
    "had_medical_emergency",
    "purge_stale_drafts",
    "open_resume_link",
    "request_resume_link",
    "resend_resume_link",
    "resume_token",
    "resume_url",
    "save",
    "save_safety_answers",
    "shows_support",
    "start_draft",
    "submit",
]

log = logging.getLogger(__name__)

RESUME_LINKS_PER_HOUR = 5
RESUME_TRIES = 5  # wrong dates of birth after opening a link, before its session ends
DRAFT_TTL = timedelta(days=30)


@dataclass(frozen=True)
class Saved:
    """What a save found: crisis rules fired for the first time, and whether to show help.

    `show_crisis` is False for a crisis answer given after the crisis screen was already shown
    for this draft (the same episode), unless it is a medical emergency not shown before.
    """

    new_crisis: frozenset[str] = frozenset()
    show_crisis: bool = False
    crisis_text: bool = False  # crisis words saved in the free text for the first time

    @property
    def show_help(self) -> bool:
        return self.show_crisis or self.crisis_text


def start_draft(language: str = "en") -> Intake:
    """A new, empty draft (flushed, not committed: the first save commits it)."""
    draft = Intake(
        reference=new_reference(),
        status=IntakeStatus.DRAFT,
        language=language,
        source="web",
        contact={},
        answers={},
        draft_token=secrets.token_urlsafe(32),
    )
    db.session.add(draft)
    db.session.flush()
    return draft


def get(draft_id: Any) -> Intake | None:
    """The intake behind a session's draft id (any status), or None."""
    if type(draft_id) is not int:
        return None
    return db.session.get(Intake, draft_id)


def shows_support(answers: dict[str, Any]) -> bool:
    """Whether these answers fire a rule the rules file marks for the support panel."""
    fired = {r.rule for r in triage(answers).reasons}
    return bool(fired & default_ruleset().support_rule_ids)


def _lock_open(draft: Intake) -> None:
    """Lock the draft row and read it again, so a submit that landed meanwhile is seen.

    DraftClosed (after a rollback: nothing of this save is kept) when it was.
    """
    db.session.flush()
    db.session.refresh(draft, with_for_update=True)
    if draft.status != IntakeStatus.DRAFT:
        closed = draft.id
        db.session.rollback()
        raise DraftClosed(closed)


def save(
    draft: Intake,
    *,
    contact: dict[str, Any] | None = None,
    answers: dict[str, Any] | None = None,
    owned: frozenset[str] | set[str] = frozenset(),
) -> Saved:
    """Merge one step into the draft and commit; record and alert any crisis answer.

    `owned` are the answer keys the step owns: they are replaced by `answers` (a key the step
    no longer shows is dropped). The row is locked and read again first, so a submit that
    landed meanwhile is seen (DraftClosed), never overwritten.
    """
    _lock_open(draft)
    if contact is not None:  # a None value removes a field the person cleared
        merged_contact = {**(draft.contact or {}), **contact}
        draft.contact = {k: v for k, v in merged_contact.items() if v is not None}
    merged = {k: v for k, v in (draft.answers or {}).items() if k not in owned}
    merged.update(answers or {})
    draft.answers = merged
    return _record_safety(draft, *_assess(draft, merged))


def save_safety_answers(
    draft: Intake | None, answers: dict[str, Any], *, language: str = "en"
) -> tuple[Saved, Intake | None]:
    """From a page that has errors: save its valid answers at once if they raise a crisis.

    clinical-rules.md 6: a crisis answer is saved on the server the moment it is given, even
    when the same page has other missing or invalid answers. `answers` are the page's valid
    answers; when they fire a crisis rule not remembered yet, or put crisis words in the free
    text for the first time, they are merged into the draft (nothing is dropped; the invalid
    ones wait for the person to correct them) and the alert goes out. Otherwise nothing is
    written: a page with errors changes nothing. With no draft yet (the session was lost), one
    is started only when there is something to save. Returns what was saved and the draft.
    """
    if draft is None:
        decision, fresh = _assess(None, answers)
        if not (fresh or "crisis_text" in decision.flags):
            return Saved(), None
        draft = start_draft(language)
    _lock_open(draft)
    candidate = {**(draft.answers or {}), **answers}
    decision, fresh = _assess(draft, candidate)
    new_text = "crisis_text" in decision.flags and draft.crisis_text_at is None
    if not (fresh or new_text):
        db.session.rollback()
        return Saved(), draft
    draft.answers = candidate
    return _record_safety(draft, decision, fresh), draft


def _assess(draft: Intake | None, answers: dict[str, Any]) -> tuple[Decision, list[dict[str, Any]]]:
    """Triage `answers`; with the crisis records of theirs the draft does not remember yet."""
    decision = triage(answers)
    known = [(r.get("rule"), r.get("answers")) for r in (draft and draft.crisis_answers) or []]
    fresh = [
        r
        for r in crisis_records(decision, answers, default_ruleset())
        if (r["rule"], r["answers"]) not in known
    ]
    return decision, fresh


def _record_safety(draft: Intake, decision: Decision, fresh: list[dict[str, Any]]) -> Saved:
    """Remember new crisis answers, alert once per draft, flag crisis words; then commit.

    Every crisis rule that fires with answers not remembered before is added to
    `crisis_answers` (so a later change cannot lower the urgency at submit). The first one
    sets `crisis_at` and writes the alerts; the crisis screen is shown again only for a
    medical emergency not shown before. Crisis words in the free text set `crisis_text_at`
    the first time (an unsubmitted draft so flagged alerts coordinators after an hour).
    """
    now = utcnow()
    history = list(draft.crisis_answers or [])
    shown_before = {r.get("rule") for r in history}
    new_rules = frozenset(r["rule"] for r in fresh) - shown_before
    first_episode = draft.crisis_at is None and bool(fresh)
    show = first_episode or bool(new_rules & default_ruleset().medical_rule_ids)
    if fresh:
        draft.crisis_answers = [*history, *({**r, "at": now.isoformat()} for r in fresh)]
    crisis_text = "crisis_text" in decision.flags and draft.crisis_text_at is None
    if crisis_text:
        draft.crisis_text_at = now
        _raise_draft_urgency(draft, "urgent")
        audit("draft.crisis_text", "intake", draft.id)
    alert_ids: list[int] = []
    if first_episode:
        draft.crisis_at = now
        _raise_draft_urgency(draft, "crisis")
        db.session.flush()
        alert_ids = notifications.flush_ids(crisis_alert_rows(draft))
    if fresh:
        audit("draft.crisis", "intake", draft.id, rules=sorted(r["rule"] for r in fresh))
    draft.updated_at = now
    db.session.commit()
    if alert_ids:
        log.info("draft %s: crisis answer saved, %d alert(s) written", draft.id, len(alert_ids))
        jobs.dispatch_notifications(alert_ids)
    return Saved(frozenset(r["rule"] for r in fresh), show, crisis_text)


def had_medical_emergency(draft: Intake) -> bool:
    """Whether this draft ever gave an answer that is a medical emergency (911, not 988)."""
    medical = default_ruleset().medical_rule_ids
    return any(r.get("rule") in medical for r in draft.crisis_answers or [])


def _raise_draft_urgency(draft: Intake, urgency: str) -> None:
    """Raise (never lower) the urgency a draft is listed with."""
    rank = urgency_rank(urgency)
    if rank < draft.urgency_rank:
        draft.urgency, draft.urgency_rank = urgency, rank


def submit(draft_id: int, consent: dict[str, Any], origin: Origin | None = None) -> Submitted:
    """Submit a draft once: a second submit (double click, refresh) returns the same intake.

    `origin` is where the submitting request came from (the cap on automatic assignment).

    The draft row is locked first, so two concurrent submits of one draft run one after the
    other and the second sees it submitted. Raises ValidationFailed like `submit_intake`.
    """
    draft = db.session.get(Intake, draft_id, with_for_update=True, populate_existing=True)
    if draft is None:
        raise DraftClosed(draft_id)
    if draft.status != IntakeStatus.DRAFT:
        db.session.rollback()
        return Submitted(draft, created=False)
    contact = {**(draft.contact or {}), "consent": {**consent, "at": utcnow().isoformat()}}
    try:
        result = submit_intake(
            contact,
            dict(draft.answers or {}),
            language=draft.language,
            source="web",
            idempotency_key=f"draft:{draft.id}",
            origin=origin,
            draft=draft,
        )
    except Exception:
        db.session.rollback()
        raise
    return result


def request_resume_link(draft: Intake) -> Notification | None:
    """Write the resume-link email to the outbox (new nonce: older links stop working).

    Returns None when the draft has no email address to send it to. Raises TooManyResumeLinks
    (nothing sent, older links still work) when RESUME_LINKS_PER_HOUR were sent in the last hour,
    or when its address had its hourly share of patient emails (across drafts: whoever typed
    it), and DraftClosed when the draft was submitted. The draft row is locked first (until the
    caller's transaction ends), so a concurrent request or submit waits and is then seen.
    """
    _lock_open(draft)
    if not (draft.contact or {}).get("email"):
        return None
    links = select(func.count(Notification.id)).where(
        Notification.intake_id == draft.id, Notification.kind == NotificationKind.RESUME_LINK
    )
    recent = db.session.scalar(links.where(Notification.created_at > utcnow() - timedelta(hours=1)))
    if (recent or 0) >= RESUME_LINKS_PER_HOUR:
        log.info("draft %s: resume link not sent, hourly limit reached", draft.id)
        raise TooManyResumeLinks(draft.id)
    sent = db.session.scalar(links)
    try:
        row = patient_email(
            NotificationKind.RESUME_LINK, draft, f"resume:{draft.id}:{(sent or 0) + 1}"
        )
    except RecipientLimited:
        db.session.commit()  # the audit entry; the draft and its links are as they were
        raise TooManyResumeLinks(draft.id) from None
    if row is None:
        return None
    draft.draft_token = secrets.token_urlsafe(32)  # the link is made from it when sent
    audit("draft.resume_link", "intake", draft.id)
    db.session.commit()
    jobs.dispatch_notifications([row.id])
    return row


def purge_stale_drafts(now: datetime) -> int:
    """Delete drafts untouched for 30 days; returns how many.

    Drafts with a crisis answer (`crisis_at` set) are kept: staff follow them up and close them,
    and the record of the alert must stay. Their outbox rows go with them.
    """
    stale = select(Intake.id).where(
        Intake.status == IntakeStatus.DRAFT,
        Intake.updated_at < now - DRAFT_TTL,
        Intake.crisis_at.is_(None),
    )
    ids = list(db.session.scalars(stale))
    if not ids:
        return 0
    db.session.execute(delete(Notification).where(Notification.intake_id.in_(ids)))
    db.session.execute(delete(Intake).where(Intake.id.in_(ids)))
    audit("draft.purged", "intake", None, count=len(ids))
    db.session.commit()
    return len(ids)


@dataclass(frozen=True)
class ResumeLink:
    """What opening a resume link did: `opened` the draft it was exchanged for (the link is
    burnt), or `stale` an open draft a used, replaced or expired link of ours names (a new link
    may be sent to its address), or neither (not our link, or the form was sent)."""

    opened: int | None = None
    stale: int | None = None


def open_resume_link(token: str) -> ResumeLink:
    """Exchange a resume link for its draft, once: the nonce is replaced, so the link (and any
    older one) stops working. The row is locked first, so of two tabs (or a mail scanner and
    the person) opening the same link at once, one gets it and the other is told it was used."""
    draft = from_resume_token(token)
    if draft is None:
        return ResumeLink(stale=_stale_link(token))
    try:
        _lock_open(draft)
    except DraftClosed:
        return ResumeLink()
    if from_resume_token(token) is not draft:  # opened meanwhile: the nonce changed
        db.session.rollback()
        return ResumeLink(stale=_stale_link(token))
    draft.draft_token = secrets.token_urlsafe(32)
    audit("draft.resume_opened", "intake", draft.id)
    db.session.commit()
    return ResumeLink(opened=draft.id)


def _stale_link(token: str) -> int | None:
    """The open draft, with an email address, that a genuine but used or expired link names."""
    signed = signed_draft_id(token)
    if signed is None:
        return None
    draft_id, expired = signed
    reason = "expired" if expired else "used"
    draft = get(draft_id)
    if draft is None or draft.status != IntakeStatus.DRAFT:
        return None
    audit("draft.resume_refused", "intake", draft.id, reason=reason)
    db.session.commit()
    return draft.id if (draft.contact or {}).get("email") else None


def check_resume(draft_id: int, given: str, tries: int) -> str:
    """The date of birth typed after opening a link: "ok", "wrong", "locked" (this was the last
    wrong try: the caller ends the session) or "closed" (no open draft, or none to check).

    `tries` is how many wrong dates this session gave before. Audited by id, never the date."""
    draft = get(draft_id)
    born = (draft.contact or {}).get("date_of_birth") if draft is not None else None
    if draft is None or draft.status != IntakeStatus.DRAFT or not isinstance(born, str):
        return "closed"
    if _same_date(given, born):
        audit("draft.resume_verified", "intake", draft.id)
        db.session.commit()
        return "ok"
    locked = tries + 1 >= RESUME_TRIES
    audit("draft.resume_locked" if locked else "draft.resume_failed", "intake", draft.id)
    db.session.commit()
    return "locked" if locked else "wrong"


def _same_date(given: str, born: str) -> bool:
    try:
        return date.fromisoformat(given.strip()) == date.fromisoformat(born)
    except ValueError:
        return False


def resend_resume_link(draft_id: int) -> Notification | None:
    """A new link for a draft whose link was used or expired, or whose session ended after
    wrong dates: to the address on file only (never one typed here), within the same limits.
    None when it has no address; DraftClosed when it was sent or is gone."""
    draft = get(draft_id)
    if draft is None:
        raise DraftClosed(draft_id)
    return request_resume_link(draft)
