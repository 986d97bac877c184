"""The 500 page: it renders even when the failure left the database session unusable, and no
exception message (which can quote SQL parameters or a constraint's DETAIL, both PHI) reaches
a log, neither through the app's handler nor through Flask's own exception log.

The failing routes live on a blueprint registered by these tests only. PROPAGATE_EXCEPTIONS is
off, as in production, so Flask's `handle_exception` and `log_exception` run as they would there.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from flask import Blueprint, Flask, Response
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from intake.extensions import db
from intake.models import Intake, User
from tests.support import sign_in

CANARY = "Zebrafinch-canary"  # stands for PHI: a name, an answer
REFERENCE = "WF-CANA-RY42"  # a PostgreSQL unique violation quotes the duplicate key's value
FRIENDLY = "Something went wrong on our side."
FAILURE = "could not finish for " + CANARY  # an exception message quoting PHI


def _failing_routes() -> Blueprint:
    bp = Blueprint("failing", __name__)

    def duplicate_intake() -> Any:
        # The flush fails on the unique reference: the session needs a rollback before any
        # other query, and the error page asks for the signed-in user.
        db.session.add(Intake(reference=REFERENCE, contact={"last_name": CANARY}, answers={}))
        db.session.flush()
        return "not reached"

    bp.add_url_rule("/test-only/poison", "poison", duplicate_intake)
    bp.add_url_rule("/api/test-only/poison", "api_poison", duplicate_intake)

    @bp.get("/test-only/after")
    def after() -> Any:
        return "fine"

    @bp.after_request
    def fail_after(response: Response) -> Response:
        # An exception outside the view: no error handler sees it; Flask's handle_exception
        # logs it (log_exception) and then serves the 500 handler.
        from flask import request

        if request.endpoint == "failing.after":
            raise RuntimeError(FAILURE)
        if request.endpoint == "failing.after_db_lost":
            raise OperationalError("INSERT ...", {"name": CANARY}, Exception("server closed"))
        return response

    @bp.get("/test-only/after-db-lost")
    def after_db_lost() -> Any:
        return "fine"

    return bp


@pytest.fixture
def failing_app(make_app: Any, demo: Any) -> Flask:
    """On the same database as `app` (which `demo` seeded), with the failing routes added."""
    app: Flask = make_app(PROPAGATE_EXCEPTIONS=False)
    app.register_blueprint(_failing_routes())
    with app.app_context():
        db.session.add(Intake(reference=REFERENCE, contact={}, answers={}))
        db.session.commit()
    return app


def _logged(caplog: Any) -> str:
    """Everything the log handlers were given: messages and any traceback or exception text."""
    return caplog.text + "\n".join(r.getMessage() for r in caplog.records)


def _incident(text: str) -> str:
    found = re.search(r"error code <strong>([0-9a-f]{8})</strong>", text)
    assert found, text[:2000]
    return found.group(1)


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_poisoned_session_still_gets_the_friendly_500_page(
    failing_app: Flask, caplog: Any, signed_in: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    client = failing_app.test_client()
    if signed_in:  # the page's navigation loads the user: a query on the failed session
        sign_in(client, "coordinator@demo.wayfinder")
    response = client.get("/test-only/poison")
    assert response.status_code == 500
    assert FRIENDLY in response.text
    assert ("Sign out" in response.text) is signed_in
    code = _incident(response.text)
    logged = _logged(caplog)
    assert f"incident {code}" in logged and "IntegrityError" in logged
    for secret in (CANARY, REFERENCE, "already exists", "duplicate key"):
        assert secret not in logged, secret
    # The session works again for the next request.
    with failing_app.app_context():
        assert db.session.scalar(select(User.id).limit(1)) is not None
    assert client.get("/").status_code == 200


def test_a_poisoned_session_in_the_api_is_problem_json(failing_app: Flask, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    response = failing_app.test_client().get("/api/test-only/poison")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert re.fullmatch(r"[0-9a-f]{8}", response.json["incident"])
    assert CANARY not in _logged(caplog) and REFERENCE not in _logged(caplog)


def test_flask_own_exception_log_holds_no_message(failing_app: Flask, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG)
    client = failing_app.test_client()
    sign_in(client, "coordinator@demo.wayfinder")
    response = client.get("/test-only/after")
    assert response.status_code == 500 and FRIENDLY in response.text
    code = _incident(response.text)
    logged = _logged(caplog)
    assert "unhandled RuntimeError on GET failing.after" in logged and f"incident {code}" in logged
    assert CANARY not in logged and FAILURE not in logged
    assert "/test-only/after" not in logged  # a path can hold a resume link's token


@pytest.mark.parametrize("propagate", [False, True])
def test_the_database_lost_while_finishing_a_response_is_a_503(
    make_app: Any, demo: Any, caplog: Any, propagate: bool
) -> None:
    """Lost between the view and the response (an after-request hook writing to it): the
    same 503 as inside a view, never a 500, and never an exception out of the app, even
    where exceptions propagate (tests)."""
    app: Flask = make_app(PROPAGATE_EXCEPTIONS=propagate)
    app.register_blueprint(_failing_routes())
    caplog.set_level(logging.DEBUG)
    response = app.test_client().get("/test-only/after-db-lost")
    assert response.status_code == 503
    assert response.headers.get("Retry-After")
    assert 'href="tel:988"' in response.text
    assert CANARY not in _logged(caplog)
