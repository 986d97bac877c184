"""Thin views: parse the form, call one service, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, session, url_for
from werkzeug.datastructures import MultiDict

from intake import services
from intake.extensions import db, limiter
from intake.models import Intake
from intake.public import bp
from intake.public.formdata import parse
from intake.public.wording import next_steps, page_context
from intake.validation import ValidationFailed


@bp.get("/")
def form() -> Any:
    return render_template("public/form.html", values=MultiDict(), errors={}, **page_context())


@bp.post("/")
@limiter.limit("30 per minute; 300 per hour")
def submit() -> Any:
    contact, answers, shape_errors = parse(request.form)
    errors = dict(shape_errors)
    if not errors:
        try:
            result = services.submit_intake(
                contact,
                answers,
                language="en",
                source="web",
                idempotency_key=_form_token(request.form.get("submission_token")),
            )
        except ValidationFailed as exc:
            errors = {e.field: e.message for e in exc.errors}
        else:
            session["submitted_reference"] = result.intake.reference
            return redirect(url_for("public.done"), code=303)
    return (
        render_template("public/form.html", values=request.form, errors=errors, **page_context()),
        422,
    )


def _form_token(token: str | None) -> str | None:
    """The form carries a random token: a double click or a refresh submits once."""
    if token and 16 <= len(token) <= 64 and token.isalnum():
        return f"web:{token}"
    return None


@bp.get("/done")
def done() -> Any:
    reference = session.get("submitted_reference")
    if not reference:
        return redirect(url_for("public.form"))
    intake = db.session.query(Intake).filter_by(reference=reference).one_or_none()
    if intake is None:
        return redirect(url_for("public.form"))
    return render_template(
        "public/done.html",
        reference=reference,
        steps=next_steps(intake.urgency),
        crisis=intake.urgency == "crisis",
    )


@bp.get("/crisis")
def crisis() -> Any:
    return render_template("public/crisis.html")
