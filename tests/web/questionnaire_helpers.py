"""Walking the multi-step questionnaire with the test client."""

from __future__ import annotations

from typing import Any

from intake.extensions import db
from intake.models import Intake
from tests import factories

ABOUT = {**factories.CONTACT, "state": "NY", "email": "canary@example.org"}
SAFETY = {"asq_1": "no", "asq_2": "no", "asq_3": "no", "asq_4": "no", "safe_now": "yes"}
MOOD = {
    **{f"phq9_{i}": str(v) for i, v in enumerate([2, 2, 1, 2, 1, 1, 2, 1, 0], start=1)},
    **{f"gad7_{i}": str(v) for i, v in enumerate([1, 1, 1, 1, 1, 1, 0], start=1)},
}


def post(client: Any, name: str, data: dict[str, Any], nav: str = "next") -> Any:
    """Post a step; "save for later" is followed to the page it redirects to (Post/Redirect/Get)."""
    return client.post(f"/step/{name}", data={**data, "nav": nav}, follow_redirects=nav == "later")


def location(response: Any) -> str:
    assert response.status_code == 303, response.text[:2000]
    return str(response.headers["Location"])


def start(client: Any, **about: Any) -> Any:
    return post(client, "about", {**ABOUT, **about})


def to_concerns(client: Any, concerns: tuple[str, ...] = ("depression",), **safety: str) -> Any:
    location(start(client))
    location(post(client, "safety", {**SAFETY, **safety}))
    return post(client, "concerns", {"concerns": list(concerns), "free_text": factories.FREE_TEXT})


def draft(app: Any) -> Intake:
    with app.app_context():
        return db.session.query(Intake).one()
