"""A clinician declining an offer: the reason's limits, and someone else's offer is a 404."""

from __future__ import annotations

from typing import Any

from intake.clinician.views import DECLINE_REASON_MAX
from intake.extensions import db
from intake.models import Assignment, Intake
from tests import factories
from tests.support import sign_in

FLASH = "Give a reason for declining"


def _offer(app: Any) -> tuple[int, int, str, str]:
    """A submitted intake's offer: (assignment id, intake id, owner email, another clinician)."""
    app.test_client().post("/", data=factories.form_data())
    with app.app_context():
        intake = db.session.query(Intake).one()
        offer = intake.current_assignment
        owner = offer.clinician.user.email
        other = next(
            e for e in ("ana.rivera@demo.wayfinder", "mei.chen@demo.wayfinder") if e != owner
        )
        return offer.id, intake.id, owner, other


def test_someone_elses_offer_is_a_404_without_a_stray_message(app: Any, demo: Any) -> None:
    offer_id, _, _, other = _offer(app)
    theirs = app.test_client()
    sign_in(theirs, other)
    for reason in ("", "x" * (DECLINE_REASON_MAX + 1)):
        response = theirs.post(
            f"/clinician/assignments/{offer_id}/decline", data={"reason": reason}
        )
        assert response.status_code == 404 and FLASH not in response.text
    assert FLASH not in theirs.get("/clinician/").text  # nor a message left for a later page


def test_a_reason_up_to_what_is_stored_is_accepted_longer_is_refused(app: Any, demo: Any) -> None:
    offer_id, intake_id, owner, _ = _offer(app)
    mine = app.test_client()
    sign_in(mine, owner)
    page = mine.get(f"/clinician/intakes/{intake_id}").text
    assert f'maxlength="{DECLINE_REASON_MAX}"' in page
    path = f"/clinician/assignments/{offer_id}/decline"
    too_long = mine.post(path, data={"reason": "x" * (DECLINE_REASON_MAX + 1)})
    assert too_long.status_code == 302 and too_long.headers["Location"].endswith(
        f"/clinician/intakes/{intake_id}"
    )
    assert FLASH in mine.get(too_long.headers["Location"]).text
    reason = "r" * DECLINE_REASON_MAX  # longer than the old 500, all of it kept
    assert mine.post(path, data={"reason": reason}).status_code == 302
    with app.app_context():
        declined = db.session.get(Assignment, offer_id)
        assert declined is not None and declined.status == "declined"
        assert declined.decline_reason == reason
