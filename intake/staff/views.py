"""Thin views for coordinators and admins (and the crisis acknowledgement, also for clinicians)."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from intake import notifications, queries, questionnaire, reports, services, sessions, validation
from intake.auth import role_required
from intake.extensions import db
from intake.models import Intake, IntakeStatus, NotificationStatus, Role, as_utc, utcnow
from intake.screening import INSTRUMENTS
from intake.services import contact_keys, records, workspace
from intake.services import outbox as outbox_service
from intake.staff import charts
from intake.triage import SERVICE_LINES, URGENCIES, default_ruleset
from intake.triage.vocabulary import STATES

bp = Blueprint("staff", "intake.staff", url_prefix="/staff")

STAFF = (Role.STAFF, Role.ADMIN)
HTMX_STOP_POLLING = 286  # htmx's status for "swap this, then stop polling"
BANNER_POLL_SECONDS = 30  # how often a staff page asks for the banner's counts
DASHBOARD_ROWS = 50  # the dashboard's most urgent rows; the list pages through the rest
# SQLite hands back naive datetimes (every stored time is UTC): `{{ t|as_utc }}` before arithmetic.
bp.add_app_template_filter(as_utc, "as_utc")


@bp.app_template_filter("local")
def local_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M %Z") -> str:
    """A stored (UTC) time in the practice's time zone (BUSINESS_TZ), as staff read clocks."""
    if moment is None:
        return ""
    return as_utc(moment).astimezone(_practice_zone()).strftime(fmt)


def _shown_value(question: Any, value: Any) -> str:
    labels = {str(v): label for v, label in question.options}
    values = value if isinstance(value, list) else [value]
    return ", ".join(labels.get(str(v), str(v)) for v in values if v not in (None, ""))


@bp.app_template_global("answers_by_page")
def answers_by_page(answers: dict[str, Any] | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every answer the person gave, grouped by the page it was on, each with the question's
    wording as they saw it and the option's label; unanswered questions are left out (no
    `None`), and an answer no page asks any more is listed last under its key."""
    answers = answers or {}
    pages: list[tuple[str, list[tuple[str, str]]]] = []
    placed: set[str] = set()
    for page in questionnaire.PAGES:
        rows = []
        for question in page.all_questions():
            value = answers.get(question.key)
            placed.add(question.key)
            if value in (None, "", []):
                continue
            rows.append((question.text, _shown_value(question, value)))
        if rows:
            pages.append((page.title, rows))
    extra = [
        (key.replace("_", " "), str(value))
        for key, value in answers.items()
        if key not in placed and key != "age" and value not in (None, "", [])
    ]
    if extra:
        pages.append(("Other answers", extra))
    return pages


@bp.context_processor
def banner() -> dict[str, Any]:
    """Crisis and overdue counts for the banner on every staff page (signed-in staff only)."""
    if not current_user.is_authenticated or not current_user.has_role(*STAFF):
        return {}
    return {
        "alerts": queries.alert_counts(),
        "banner_since": int(utcnow().timestamp()),
        "banner_poll": BANNER_POLL_SECONDS,
    }


def staff_only(view: Callable[..., Any]) -> Callable[..., Any]:
    """Coordinators and admins. A clinician gets a plain 403 (they know the workspace exists,
    it is just not theirs); any other role a 404."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if current_user.has_role(Role.CLINICIAN):
            abort(403)
        if not current_user.has_role(*STAFF):
            abort(404)
        return view(*args, **kwargs)

    return wrapped


@bp.get("/")
@staff_only
def dashboard() -> Any:
    """The most urgent open work first; the whole of it is the list's (`staff.intakes`)."""
    intakes = queries.dashboard_intakes(limit=DASHBOARD_ROWS + 1)
    return render_template(
        "staff/dashboard.html",
        intakes=intakes[:DASHBOARD_ROWS],
        more=len(intakes) > DASHBOARD_ROWS,
        now=utcnow(),
        dead=queries.dead_notifications(),
        backlog=queries.outbox_backlog(),
    )


@bp.get("/intakes/<int:intake_id>")
@staff_only
def intake_detail(intake_id: int) -> Any:
    intake = queries.intake_detail(intake_id)
    if intake is None or not intake.seen_by_staff:
        abort(404)
    records.record_viewed(intake.id, current_user, request.remote_addr)
    # The commit expires what was loaded; the reload keeps the query's eager-load options.
    return render_template(
        "staff/intake.html",
        intake=intake,
        instruments=INSTRUMENTS,
        now=utcnow(),
        staff=True,
        outreach=queries.outreach_for(intake.id),
        notes=workspace.notes_for(intake.id),
        note_max=workspace.NOTE_MAX,
        note_token=secrets.token_urlsafe(24),
        note_action=url_for("staff.add_note", intake_id=intake.id),
        messages=workspace.notifications_for(intake.id),
        timeline=workspace.timeline(intake),
        clinicians=queries.clinicians(),
        ineligible=workspace.eligibility(intake.id),
        form_token=secrets.token_urlsafe(24),
        urgencies=URGENCIES,
        service_lines=SERVICE_LINES,
        modalities=workspace.MODALITIES,
        channels=workspace.CHANNELS,
        outcomes=workspace.OUTCOMES,
        close_reasons=workspace.CLOSE_REASONS,
    )


@bp.route("/intakes/<int:intake_id>/acknowledge", methods=["GET", "POST"])
@role_required(Role.STAFF, Role.ADMIN, Role.CLINICIAN)
def acknowledge(intake_id: int) -> Any:
    """GET shows a confirm button (the link in the alert email); only POST changes anything."""
    intake = db.session.get(Intake, intake_id)
    if intake is None or not services.may_acknowledge(intake, current_user):
        abort(404)
    if request.method == "GET":
        return render_template("staff/acknowledge.html", intake=intake, now=utcnow())
    result = services.acknowledge_crisis(intake_id, current_user, request.remote_addr)
    if result is services.Ack.NOT_FOUND:
        abort(404)
    flash(
        "Acknowledged: escalation stopped. Start outreach now."
        if result is services.Ack.DONE
        else "This alert was already acknowledged.",
        "info",
    )
    return redirect(url_for("staff.acknowledge", intake_id=intake_id))


@bp.post("/intakes/<int:intake_id>/reassign")
@staff_only
def reassign(intake_id: int) -> Any:
    """With `clinician_id`: offer it to that clinician (a reason required). Without: run the
    matcher again, taking it from whoever holds it (optionally switching the modality)."""
    form = request.form
    if form.get("clinician_id"):
        chosen = _int(form.get("clinician_id"))
        if chosen is None:
            return _bad_request(["Choose a clinician from the list."])
        result = workspace.assign_to(
            intake_id,
            current_user,
            chosen,
            reason=form.get("reason"),
            override_eligibility=form.get("override_eligibility") == "yes",
            eligibility_reason=form.get("eligibility_reason"),
            ip=request.remote_addr,
        )
        return _after(intake_id, result, "Offered to the chosen clinician.")
    modality = form.get("modality") or None
    outcome = services.reassign(intake_id, current_user, modality=modality, ip=request.remote_addr)
    if outcome is services.Outcome.NOT_FOUND:
        abort(404)
    flash(
        "Assignment ran again." if outcome is services.Outcome.DONE else "It cannot be reassigned.",
        "info" if outcome is services.Outcome.DONE else "error",
    )
    return redirect(url_for("staff.intake_detail", intake_id=intake_id))


_REFUSED = {
    workspace.Result.UNCHANGED: ("Nothing changed: that is already so.", "info"),
    workspace.Result.CONFLICT: ("Not possible while the intake is in this state.", "error"),
    workspace.Result.INVALID: (
        "Check the form: a reason is required, and each value must come from its list.",
        "error",
    ),
    workspace.Result.NEEDS_ROLE: (
        "Lowering a crisis needs a clinician, the clinical director or an admin.",
        "error",
    ),
    workspace.Result.NOT_ELIGIBLE: (
        "That clinician is not eligible. Choose another, or tick "
        '"override eligibility" and give a reason.',
        "error",
    ),
}


def _after(intake_id: int, result: workspace.Result, done: str) -> Any:
    if result is workspace.Result.NOT_FOUND:
        abort(404)
    message, category = (done, "info") if result is workspace.Result.DONE else _REFUSED[result]
    flash(message, category)
    return redirect(url_for("staff.intake_detail", intake_id=intake_id))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) <= 9 else None


def _bad_request(problems: list[str]) -> Any:
    return render_template("staff/bad_request.html", problems=problems), 400


@bp.post("/intakes/<int:intake_id>/override")
@staff_only
def override(intake_id: int) -> Any:
    form = request.form
    result = workspace.override_route(
        intake_id,
        current_user,
        reason=form.get("reason"),
        urgency=form.get("urgency") or None,
        service_line=form.get("service_line") or None,
        modality=form.get("modality") or None,
        ip=request.remote_addr,
    )
    return _after(intake_id, result, "Override recorded; the rules' decision is kept beside it.")


@bp.post("/intakes/<int:intake_id>/outreach")
@staff_only
def outreach(intake_id: int) -> Any:
    result = workspace.record_outreach(
        intake_id,
        current_user,
        **workspace.outreach_fields(request.form),
        ip=request.remote_addr,
    )
    return _after(intake_id, result, "Outreach attempt recorded.")


@bp.post("/intakes/<int:intake_id>/notes")
@staff_only
def add_note(intake_id: int) -> Any:
    """An internal note: a clear message for an empty or too long one, and nothing saved."""
    problem = workspace.note_problem(request.form.get("body"))
    if problem is not None:
        if queries.intake_detail(intake_id) is None:
            abort(404)
        flash(problem, "error")
        return redirect(url_for("staff.intake_detail", intake_id=intake_id, _anchor="h-notes"))
    result = workspace.add_note(
        intake_id,
        current_user,
        body=request.form.get("body"),
        form_token=request.form.get("form_token") or "",
        ip=request.remote_addr,
    )
    if result is workspace.Result.NOT_FOUND:
        abort(404)
    if result is workspace.Result.INVALID:
        return _bad_request(["The form expired: open the intake again and resend the note."])
    flash(
        "Note saved." if result is workspace.Result.DONE else "That note was already saved.", "info"
    )
    return redirect(url_for("staff.intake_detail", intake_id=intake_id, _anchor="h-notes"))


@bp.post("/intakes/<int:intake_id>/close")
@staff_only
def close(intake_id: int) -> Any:
    result = workspace.close(
        intake_id, current_user, request.form.get("reason") or "", request.remote_addr
    )
    return _after(intake_id, result, "Closed.")


@bp.post("/intakes/<int:intake_id>/reopen")
@staff_only
def reopen(intake_id: int) -> Any:
    return _after(
        intake_id, workspace.reopen(intake_id, current_user, request.remote_addr), "Reopened."
    )


STATUS_CHOICES = tuple(s.value for s in IntakeStatus if s is not IntakeStatus.DRAFT)
LIST_PARAMS = frozenset(
    {
        "q",
        "urgency",
        "service_line",
        "modality",
        "status",
        "tab",
        "state",
        "clinician",
        "from",
        "to",
        "after",
    }
)


def _practice_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BUSINESS_TZ"])


def parse_filter(args: MultiDict[str, str]) -> tuple[queries.IntakeFilter, list[str]]:
    """The list's query string as a filter, and what was wrong with it (each a sentence)."""
    problems: list[str] = []

    def one_of(name: str, choices: Any) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if value not in choices:
            problems.append(f"{name} must be one of: {', '.join(sorted(choices))}.")
            return None
        return value

    term = contact_keys.search_term((args.get("q") or "")[:200])
    status = one_of("status", (*STATUS_CHOICES, "all"))
    statuses: tuple[str, ...] | None = queries.OPEN_STATUSES
    if status == "all":
        statuses = None
    elif status is not None:
        statuses = (status,)
    tab = one_of("tab", queries.TABS)
    if tab is not None and args.get("status") is None:
        statuses = None  # the tab says which
    clinician = None
    if args.get("clinician"):
        clinician = _int(args.get("clinician"))
        if clinician is None:
            problems.append("clinician must be a clinician's number from the list.")
    bounds, wrong_days = validation.day_bounds(args, _practice_zone())
    problems += wrong_days
    state = (args.get("state") or "").strip().upper() or None
    if state is not None and state not in STATES:
        problems.append("state must be a two-letter US state code, like NY.")
        state = None
    return (
        queries.IntakeFilter(
            reference=term.reference if term else None,
            email_hash=term.email_hash if term else None,
            phone_hash=term.phone_hash if term else None,
            name_hash=term.name_hash if term else None,
            urgency=one_of("urgency", URGENCIES),
            service_line=one_of("service_line", SERVICE_LINES),
            modality=one_of("modality", workspace.MODALITIES),
            statuses=statuses,
            tab=tab,
            state=state,
            clinician_id=clinician,
            submitted_from=bounds["from"],
            submitted_before=bounds["to"],
        ),
        problems,
    )


_RECENT: dict[tuple[int, str], tuple[float, Any]] = {}


def _recent(name: str, read: Callable[[], Any]) -> Any:
    """The tab and queue counts as read at most COUNTS_MAX_AGE_SECONDS ago by this process:
    a busy list page does not count the practice again on every request (the list itself is
    always read fresh; the banner's crisis and overdue counts too)."""
    max_age = current_app.config["COUNTS_MAX_AGE_SECONDS"]
    if max_age <= 0:
        return read()
    key, now = (id(current_app._get_current_object()), name), monotonic()  # type: ignore[attr-defined]
    kept = _RECENT.get(key)
    if kept is None or now - kept[0] >= max_age:
        kept = _RECENT[key] = (now, read())
    return kept[1]


@bp.get("/intakes")
@staff_only
def intakes() -> Any:
    """Find anyone: search, filters, tabs; keyset pages (`after=`), never an OFFSET."""
    flt, problems = parse_filter(request.args)
    after = None
    if request.args.get("after"):
        after = queries.Cursor.decode(request.args["after"])
        if after is None:
            problems.append("after is not a page marker from this list: start again from page 1.")
    if problems:
        return _bad_request(problems)
    page = queries.find_intakes(flt, after)
    kept = {k: v for k, v in request.args.items() if k in LIST_PARAMS and k != "after" and v}
    return render_template(
        "staff/intakes.html",
        page=page,
        args=kept,
        counts=_recent("tab_counts", queries.tab_counts),
        breakdown=_recent("open_breakdown", queries.open_breakdown),
        counts_max_age=current_app.config["COUNTS_MAX_AGE_SECONDS"],
        tabs=queries.TABS,
        clinicians=queries.clinicians(),
        urgencies=URGENCIES,
        service_lines=SERVICE_LINES,
        modalities=workspace.MODALITIES,
        statuses=STATUS_CHOICES,
        now=utcnow(),
        today=utcnow().date(),
    )


@bp.get("/rules")
@staff_only
def rules() -> Any:
    ruleset = default_ruleset()
    return render_template("staff/rules.html", ruleset=ruleset, rules=ruleset.describe())


@bp.get("/outbox")
@staff_only
def outbox() -> Any:
    """Dead letters (with a retry button) and how many messages wait in each state."""
    return render_template(
        "staff/outbox.html",
        dead=queries.dead_notifications(limit=200),
        counts=notifications.status_counts(),
        statuses=list(NotificationStatus),
        now=utcnow(),
    )


@bp.post("/notifications/<int:notification_id>/retry")
@staff_only
def retry_notification(notification_id: int) -> Any:
    if outbox_service.retry_dead(notification_id, current_user):
        flash("The message was queued again.", "info")
    else:
        flash("That message is not waiting for a retry.", "error")
    back = request.form.get("back")
    intake_id = _int(request.form.get("intake_id"))
    if back == "intake" and intake_id is not None:
        return redirect(url_for("staff.intake_detail", intake_id=intake_id, _anchor="h-messages"))
    return redirect(url_for("staff.outbox" if back == "outbox" else "staff.dashboard"))


@bp.get("/banner")
@staff_only
def banner_fragment() -> Any:
    """The crisis and overdue banner alone: the page polls it (htmx) to keep it current.

    A poll is not use of the session (`sessions.passive`): the idle clock runs on, and an
    unattended screen signs out on time. `since` is when the page was drawn; polling stops
    (status 286 tells htmx to) a little before the idle limit, so that no poll meets a
    session that has just ended.
    """
    sessions.passive()
    raw = request.args.get("since") or ""
    since = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 12 else None
    idle = int(current_app.config["SESSION_IDLE_SECONDS"])
    paused = since is None or utcnow().timestamp() - since >= idle - 2 * BANNER_POLL_SECONDS
    body = render_template("staff/_banner.html", alerts=queries.alert_counts(), paused=paused)
    return body, HTMX_STOP_POLLING if paused else 200


def _queue_words(queue: str) -> str:
    line, _, modality = queue.partition("/")
    return f"{line.replace('_', ' ')}, {modality.replace('_', '-')}"


def _report_charts(report: reports.Report) -> dict[str, charts.Chart]:
    weekly = report.weekly
    contact = [q for q in report.contact if q.met_share is not None]
    crisis = report.crisis_weeks
    return {
        "weekly": charts.bar_chart(
            "c-weekly",
            "Intakes submitted per week",
            f"{weekly.grand_total} intakes from {report.range.first} to {report.range.last}, "
            "one bar per week (starting Monday). The table below splits them by service line.",
            [(f"week of {w:%d %b}", weekly.total(w), str(weekly.total(w))) for w in weekly.weeks],
        ),
        "contact": charts.bar_chart(
            "c-contact",
            "First contact within target, per queue",
            "The percentage of intakes contacted within their urgency's target, one bar per "
            "queue; the table below gives the counts and the median time.",
            [(_queue_words(q.queue), q.met_share, f"{q.met_share}%") for q in contact],
            scale_max=100,
        ),
        "crisis": charts.bar_chart(
            "c-crisis",
            "Crisis alerts acknowledged in time, per week",
            "The percentage of crisis alerts acknowledged within the target, one bar per week "
            "with a crisis alert; the table below gives the counts.",
            [
                (f"week of {c.week:%d %b}", c.share, f"{c.share}% of {c.crises}")
                for c in crisis
                if c.week is not None and c.share is not None
            ],
            scale_max=100,
        ),
    }


@bp.get("/reports")
@staff_only
def reports_page() -> Any:
    """The practice at a glance: de-identified figures for a date range (default 12 weeks)."""
    span, problems = reports.parse_range(request.args.get("from"), request.args.get("to"))
    if problems:
        return _bad_request(problems)
    report = reports.build(span, utcnow())
    return render_template(
        "staff/reports.html",
        report=report,
        charts=_report_charts(report),
        queue_words=_queue_words,
        csv_url=url_for("staff.reports_csv") + f"?from={span.first}&to={span.last}",
    )


@bp.get("/reports.csv")
@staff_only
def reports_csv() -> Any:
    """The report's figures as CSV, one number a row: no reference, name or answer in it."""
    span, problems = reports.parse_range(request.args.get("from"), request.args.get("to"))
    if problems:
        return _bad_request(problems)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(reports.CSV_HEADER)
    writer.writerows(reports.csv_rows(reports.build(span, utcnow())))
    name = f"wayfinder-report-{span.first}-{span.last}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
