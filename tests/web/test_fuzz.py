"""Generated garbage posted to every public endpoint never yields a server error."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.public.pages import PAGES
from intake.screening import INSTRUMENTS, SAFETY
from tests.web.questionnaire_helpers import ABOUT

FIELDS = sorted(
    {i.key for inst in (*INSTRUMENTS.values(), SAFETY) for i in inst.items}
    | set(ABOUT)
    | {"nav", "concerns", "free_text", "location", "modality_preference", "availability", "sex"}
    | {"height_ft", "height_in", "weight_lb", "ec_name", "ec_phone", "insurance_carrier"}
    | {"consent_contact", "consent_privacy", "return_to", "submission_token", "csrf_token"}
)
TEXT = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["yes", "no", "refused", "0", "3", "-1", "1e999", "nan", "NY", "back", "later"]
    ),
    st.sampled_from(["review", "next", "2999-01-01", "x" * 10_000, "\x00\x07", "ǅ\u202e", "[]"]),
)
FORM = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)),
    st.one_of(TEXT, st.lists(TEXT, max_size=3)),
    max_size=12,
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ENDPOINTS = ["/", "/save-for-later", "/start-over"] + [f"/step/{p.name}" for p in PAGES]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_form_garbage_never_breaks_a_page(app: Any, path: str) -> None:
    client = app.test_client()
    client.post("/step/about", data={**ABOUT, "nav": "next"})  # some paths need a draft

    @FUZZ
    @given(data=FORM)
    def run(data: dict[str, Any]) -> None:
        response = client.post(path, data=data)
        assert response.status_code < 500, (path, response.status_code)

    run()


@FUZZ
@given(
    token=st.text(max_size=300),
    key=st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=120),
    contact=JSON,
    answers=JSON,
    extra=JSON,
)
def test_api_and_resume_garbage_never_breaks(
    app: Any, token: str, key: str, contact: Any, answers: Any, extra: Any
) -> None:
    client = app.test_client()
    response = client.get("/resume/" + (token.replace("/", "").replace("?", "") or "x"))
    assert response.status_code < 500
    body = {"contact": contact, "answers": answers, "consent": extra, "language": extra}
    response = client.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": key})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.mimetype == "application/problem+json"
    raw = client.post("/api/v1/intakes", data=token.encode(), content_type="application/json")
    assert raw.status_code < 500
