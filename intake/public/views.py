"""Thin views: parse the step, call one draft service, render or redirect.

The browser holds only the draft id in the signed session; every step is saved on the server.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict

from intake import errors, services, sessions
from intake.extensions import LANGUAGES, db, limiter
from intake.models import Intake, IntakeStatus, utcnow
from intake.public import steps
from intake.public.context import page_values, resume_target, step_context
from intake.public.formdata import parse
from intake.public.pages import BY_NAME, neighbour
from intake.public.wording import (
    CONTACT_BY,
    MINOR_NOTICE,
    location_state,
    next_steps,
    under_18,
)
from intake.ratelimit import fail_open
from intake.services import drafts
from intake.validation import ValidationFailed

bp = Blueprint("public", "intake.public")  # intake/public/__init__.py exports it

STEP_LIMIT = "60 per minute; 600 per hour"


@bp.before_request
def remember_language() -> None:
    """`?lang=es` or `?lang=en` on any public URL sets the language for the rest of the visit
    (the switch in the header is such a link); `intake.extensions.select_locale` reads it."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked


def _language() -> str:
    """The language the pages are shown in, recorded on the intake (`Intake.language`)."""
    return str(get_locale() or "en")


def _draft() -> Intake | None:
    return drafts.get(session.get("draft_id"))


def _confirmation(draft: Intake) -> Any:
    """This browser's draft was submitted (here, in another tab, or after a resume link
    elsewhere): show its confirmation, not the form (which would send it back here)."""
    if draft.status != IntakeStatus.DRAFT:
        session["submitted_reference"] = draft.reference
    return redirect(url_for("public.done"), code=303)


def _consent(form: MultiDict[str, str]) -> dict[str, bool]:
    """The two consent boxes: ticked or not."""
    return {k: form.get(f"consent_{k}") == "yes" for k in ("contact", "privacy")}


CONSENT_MISSING = "Please tick both boxes to agree, so we can contact you."


def _render(
    name: str,
    draft: Intake | None,
    values: Any,
    errors: dict[str, str],
    status: int = 200,
    notice: str | None = None,
    **extra: Any,
) -> Any:
    context = step_context(BY_NAME[name], draft, values, errors)
    template = context.pop("template")
    return render_template(template, notice=notice, **extra, **context), status


@bp.get("/")
def form() -> Any:
    return step("about")


@bp.get("/step/<name>")
def step(name: str) -> Any:
    if name not in BY_NAME:
        abort(404)
    draft = _draft()
    if draft is not None and draft.status != IntakeStatus.DRAFT:
        return _confirmation(draft)
    if name != "about" and (draft is None or not draft.contact):
        return redirect(url_for("public.form"))
    return _render(name, draft, page_values(draft), {})


@bp.post("/step/<name>")
@fail_open  # the steps save safety answers and show crisis help: never refused for Redis
@limiter.limit(STEP_LIMIT)
def save_step(name: str) -> Any:
    if name not in BY_NAME:
        abort(404)
    if name == "review":
        return submit()
    draft = _draft()
    if draft is not None and draft.status != IntakeStatus.DRAFT:
        return _confirmation(draft)
    nav = request.form.get("nav", "next")
    saved = dict(draft.answers or {}) if draft else {}
    result = steps.parse_step(name, request.form, saved, lenient=nav in ("back", "later"))
    if result.errors:
        return _invalid_step(name, draft, result)
    lost = draft is None and name != "about"
    if draft is None:
        draft = drafts.start_draft(_language())
    try:
        outcome = drafts.save(
            draft, contact=result.contact, answers=result.answers, owned=result.owned
        )
    except drafts.DraftClosed:  # submitted (another tab) since the check above
        return _confirmation(draft)
    session["draft_id"] = draft.id
    target, notice = _after(name, draft, result, nav, lost)
    if outcome.show_help:
        # Crisis help comes before anything else; a notice about this page waits for it.
        session["after_crisis"] = target
        if notice:
            session["after_crisis_notice"] = notice
        return redirect(url_for("public.crisis"), code=303)
    if notice:
        flash(*notice)
    if name == "about" and under_18(draft.contact):
        flash(MINOR_NOTICE, "info")
    if nav == "later":
        return _send_link(draft, target)
    return redirect(target, code=303)


def _invalid_step(name: str, draft: Intake | None, result: steps.StepResult) -> Any:
    """A page with errors changes nothing, unless it carries a new safety answer.

    The valid answers are checked for a crisis answer or crisis words; when there is a new one
    they are saved at once (the invalid ones are not) and the alert goes out, and the page shows
    the crisis help above its errors (clinical-rules.md 6).
    """
    valid = {k: v for k, v in result.answers.items() if f"answers.{k}" not in result.errors}
    outcome = drafts.Saved()
    if valid:
        try:
            outcome, saved = drafts.save_safety_answers(draft, valid, language=_language())
        except drafts.DraftClosed:
            return _confirmation(draft) if draft is not None else redirect(url_for("public.form"))
        if saved is not None and (outcome.new_crisis or outcome.crisis_text):
            session["draft_id"] = saved.id
            draft = saved
    return _render(
        name,
        draft,
        request.form,
        result.errors,
        422,
        crisis_help=bool(outcome.new_crisis) or outcome.crisis_text,
        medical=draft is not None and drafts.had_medical_emergency(draft),
    )


def _after(
    name: str, draft: Intake, result: steps.StepResult, nav: str, lost: bool
) -> tuple[str, tuple[str, str] | None]:
    """Where the person goes after a save, and the notice (message, category) to show there."""
    answers = draft.answers or {}
    if lost:
        return url_for("public.form"), (
            "We saved this page, but couldn't find your earlier answers: your session may have "
            "ended. Please fill in your details again (or use the link we emailed you).",
            "error",
        )
    if result.follow_ups:
        first = sorted(result.follow_ups)[0]
        notice = ("Thank you. We've added a follow-up question below.", "info")
        return url_for("public.step", name=name) + f"#q-{first}", notice
    if nav == "review":
        return url_for("public.step", name="review"), None
    page = neighbour(name, answers, -1 if nav == "back" else 1)
    return url_for("public.step", name=page.name if page else "review"), None


def _send_link(draft: Intake, target: str) -> Any:
    """Email a resume link; the answers are saved whether or not one can be sent."""
    try:
        row = drafts.request_resume_link(draft)
    except drafts.DraftClosed:
        return _confirmation(draft)
    except drafts.TooManyResumeLinks:
        outcome = "limited"
    else:
        outcome = "sent" if row is not None else "no_email"
    # Post/Redirect/Get: a refresh of the page that says so sends nothing again.
    session["saved_for_later"] = {"outcome": outcome, "target": target}
    return redirect(url_for("public.saved"), code=303)


@bp.get("/saved")
def saved() -> Any:
    """What "save for later" did (a link sent, none for want of an address, or too many)."""
    shown = session.get("saved_for_later")
    if not isinstance(shown, dict) or _draft() is None:
        return redirect(url_for("public.form"))
    outcome = shown.get("outcome")
    target = shown.get("target")
    return render_template(
        "public/resume_sent.html",
        sent=outcome == "sent",
        limited=outcome == "limited",
        target=target if isinstance(target, str) and target.startswith("/") else "/",
    )


@bp.post("/save-for-later")
@limiter.limit("5 per hour")
def save_for_later() -> Any:
    draft = _draft()
    if draft is None:
        return redirect(url_for("public.form"))
    if draft.status != IntakeStatus.DRAFT:
        return _confirmation(draft)
    return _send_link(draft, resume_target(draft))


@bp.get("/resume/<token>")
@limiter.limit("30 per hour")
def resume(token: str) -> Any:
    """A link from the resume email: exchanged once for this browser's draft session (the link
    is burnt), then to /resume, which asks for the date of birth before showing anything.
    The token is only in this one request's path; the page it leads to has none."""
    link = drafts.open_resume_link(token)
    if link.opened is None:
        if link.stale is not None:
            session["resume_offer"] = link.stale
        return render_template("public/resume_invalid.html", can_resend=link.stale is not None), 410
    draft = drafts.get(link.opened)
    if session.get("draft_id") == link.opened:  # this browser has the draft already
        flash(WELCOME_BACK, "info")
        return redirect(resume_target(draft) if draft else url_for("public.form"), code=303)
    session.clear()
    if draft is not None and draft.language in LANGUAGES:
        session["lang"] = draft.language  # the form goes on in the language it was begun in
    session["resume"] = {"draft": link.opened, "tries": 0}
    return redirect(url_for("public.resume_check"), code=303)


WELCOME_BACK = "Welcome back. Your saved answers are here."
WRONG_BIRTH_DATE = "That date of birth doesn't match the one on the form. Please check it."


@bp.route("/resume", methods=["GET", "POST"])
@limiter.limit("30 per hour", methods=["POST"])
def resume_check() -> Any:
    """Before any answer is shown: the date of birth given on step 1 (RESUME_TRIES tries)."""
    pending = session.get("resume")
    if not isinstance(pending, dict) or type(pending.get("draft")) is not int:
        return redirect(url_for("public.form"))
    draft_id, tries = pending["draft"], int(pending.get("tries") or 0)
    if request.method == "GET":
        return _resume_check_page({}, tries)
    given = request.form.get("date_of_birth", "")
    outcome = drafts.check_resume(draft_id, given if isinstance(given, str) else "", tries)
    if outcome == "ok":
        session.pop("resume", None)
        sessions.regenerate()  # a new session id now that it holds the draft
        session["draft_id"] = draft_id
        flash(WELCOME_BACK, "info")
        draft = drafts.get(draft_id)
        return redirect(resume_target(draft) if draft else url_for("public.form"), code=303)
    if outcome == "wrong":
        session["resume"] = {"draft": draft_id, "tries": tries + 1}
        return _resume_check_page({"contact.date_of_birth": WRONG_BIRTH_DATE}, tries + 1, 422)
    session.clear()
    if outcome == "locked":
        session["resume_offer"] = draft_id
        return render_template("public/resume_locked.html"), 403
    return render_template("public/resume_invalid.html", can_resend=False), 410


def _resume_check_page(errors: dict[str, str], tries: int, status: int = 200) -> Any:
    return render_template(
        "public/resume_check.html",
        errors=errors,
        error_links={name: "f-date_of_birth" for name in errors},
        error_labels={name: "Date of birth" for name in errors},
        values=MultiDict(),
        left=max(drafts.RESUME_TRIES - tries, 0),
        nothing_to_save=True,
    ), status


@bp.post("/resume/new-link")
@limiter.limit("5 per hour")
def resume_new_link() -> Any:
    """A new link, for a used or expired one or a session ended after wrong dates: sent to the
    address on file (the page never shows it)."""
    offer = session.get("resume_offer")
    if type(offer) is not int:
        return redirect(url_for("public.form"))
    try:
        row = drafts.resend_resume_link(offer)
    except drafts.DraftClosed:
        session.pop("resume_offer", None)
        return render_template("public/resume_invalid.html", can_resend=False), 410
    except drafts.TooManyResumeLinks:
        return render_template("public/resume_new_link.html", sent=False)
    session.pop("resume_offer", None)
    if row is None:  # no address on file any more
        return render_template("public/resume_invalid.html", can_resend=False), 410
    return render_template("public/resume_new_link.html", sent=True)


def submit() -> Any:
    """Step 6: consent, then submit the draft once (a repeat shows the same confirmation)."""
    draft = _draft()
    if draft is None:
        return redirect(url_for("public.form"))
    errors: dict[str, str] = {}
    consent = _consent(request.form)
    if draft.status == IntakeStatus.DRAFT and not all(consent.values()):
        errors["consent"] = CONSENT_MISSING
        return _render("review", draft, request.form, errors, 422)
    try:
        result = drafts.submit(draft.id, consent, services.web_origin(request.remote_addr))
    except ValidationFailed as exc:
        errors = {e.field: e.message for e in exc.errors}
        return _render("review", _draft(), request.form, errors, 422)
    except drafts.DraftClosed:
        return redirect(url_for("public.form"))
    session["submitted_reference"] = result.intake.reference
    return redirect(url_for("public.done"), code=303)


@bp.post("/")
@fail_open  # a whole form can carry a crisis answer too
@limiter.limit("30 per minute; 300 per hour")
def submit_whole_form() -> Any:
    """The whole form in one post (scripts and older pages); same checks, one intake per token."""
    contact, answers, shape_errors = parse(request.form)
    errors = dict(shape_errors)
    clinic = answers.get("location")
    if clinic and location_state(clinic) not in (None, answers.get("state")):
        errors["answers.location"] = steps.OTHER_STATE_CLINIC
    consent = _consent(request.form)
    if not all(consent.values()):
        errors["consent"] = CONSENT_MISSING
    if not errors:
        contact["consent"] = {**consent, "at": utcnow().isoformat()}
        try:
            result = services.submit_intake(
                contact,
                answers,
                language=_language(),
                source="web",
                idempotency_key=_form_token(request.form.get("submission_token")),
                origin=services.web_origin(request.remote_addr),
            )
        except ValidationFailed as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            session["submitted_reference"] = result.intake.reference
            return redirect(url_for("public.done"), code=303)
    return _render("about", None, request.form, errors, 422)


def _form_token(token: str | None) -> str | None:
    if token and 16 <= len(token) <= 64 and token.isalnum():
        return f"web:{token}"
    return None


@bp.get("/done")
def done() -> Any:
    reference = session.get("submitted_reference")
    intake = (
        db.session.query(Intake).filter_by(reference=reference).one_or_none()
        if isinstance(reference, str)
        else None
    )
    if intake is None:
        return redirect(url_for("public.form"))
    return render_template(
        "public/done.html",
        reference=reference,
        steps=next_steps(intake.urgency),
        crisis=intake.urgency == "crisis",
        contact_by=CONTACT_BY.get((intake.contact or {}).get("preferred_contact", ""), "by phone"),
        has_email=bool((intake.contact or {}).get("email")),
        minor=MINOR_NOTICE if under_18(intake.contact) else None,
    )


@bp.post("/start-over")
def start_over() -> Any:
    session.clear()
    return redirect(url_for("public.form"), code=303)


@bp.get("/crisis")
def crisis() -> Any:
    """The crisis help. Reached from the footer by anyone, or after a safety answer is saved.

    It never needs the database: when the draft cannot be read the page is drawn without it,
    with the medical-emergency advice too (not knowing is never "no")."""
    try:
        draft = _draft()
        medical = draft is not None and drafts.had_medical_emergency(draft)
        return _crisis_page(draft, medical)
    except errors.DATABASE_ERRORS as exc:
        if not errors.database_unavailable(exc):
            raise
        errors.database_down(exc)
        return _crisis_page(None, True)


def _crisis_page(draft: Intake | None, medical: bool) -> Any:
    continue_to = session.get("after_crisis") if draft is not None else None
    if continue_to and (notice := session.pop("after_crisis_notice", None)):
        flash(*notice)  # shown on the page the person continues to, not here
    return render_template("public/crisis.html", medical=medical, continue_to=continue_to)


FORM_POSTS = {"public.save_step", "public.submit_whole_form"}


@bp.errorhandler(errors.DATABASE_ERRORS[0])
@bp.errorhandler(errors.DATABASE_ERRORS[1])
def database_away(exc: Exception) -> Any:
    """The database is away: a form post is drawn again with everything typed in it, a plain
    "not saved yet, try again" and the crisis help beside it (503); any other page says the
    system is briefly unavailable. Anything else that is not an outage stays a server error."""
    if not errors.database_unavailable(exc):
        return errors.handle_unexpected(exc)
    errors.database_down(exc)
    name = (request.view_args or {}).get("name", "about")
    if request.method != "POST" or request.endpoint not in FORM_POSTS or name not in BY_NAME:
        return errors.unavailable_page()
    body, status = _render(name, None, request.form, {}, 503, not_saved=True)
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = errors.RETRY_AFTER
    return response


@bp.errorhandler(CSRFError)
def csrf_failed(exc: CSRFError) -> Any:
    """An expired page or session: show what was typed again, with a fresh token."""
    name = (request.view_args or {}).get("name", "about")
    if request.method != "POST" or request.endpoint not in FORM_POSTS or name not in BY_NAME:
        return render_template("errors/csrf.html"), 400
    notice = (
        "For your security, this page expired before it was sent, so nothing on it was saved. "
        "Your answers are still below: please check them and press the button again."
    )
    return _render(name, _draft(), request.form or MultiDict(), {}, 400, notice=notice)


__all__ = ["bp"]
