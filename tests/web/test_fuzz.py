"""Fuzzing every public endpoint: no input, however broken, yields a server error.

Pure garbage (random fields, random JSON) exercises the parsers, and is refused there. So the
main cases start from valid posts and bodies and corrupt one or two fields (or JSON leaves) with
the same garbage: enough of them pass validation to reach what comes after it, branching on the
saved answers, saving the draft, crisis detection and the submit. Every example starts from a
fresh session, so a failure replays (and shrinks) on its own.

The text alphabets hold NUL and lone surrogates, and JSON numbers go beyond a float; after each
example every row it stored must still render (`_stored_rows_render`): such text once got
stored, after which its staff page was a 500 for good.
"""

from __future__ import annotations

import copy
import json
import math
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from intake.extensions import db
from intake.models import Intake, utcnow
from intake.public.pages import BY_NAME, HEIGHT, PAGES, WEIGHT, Page
from intake.screening import INSTRUMENTS, SAFETY
from intake.triage import triage
from intake.triage.vocabulary import CONCERNS
from intake.validation import AVAILABILITY
from tests import factories
from tests.support import api_client, sign_in
from tests.web.questionnaire_helpers import ABOUT, MOOD
from tests.web.questionnaire_helpers import SAFETY as SAFE_ANSWERS

FIELDS = sorted(
    {i.key for inst in (*INSTRUMENTS.values(), SAFETY) for i in inst.items}
    | set(ABOUT)
    | {"nav", "concerns", "free_text", "location", "modality_preference", "availability", "sex"}
    | {"height_ft", "height_in", "weight_lb", "ec_name", "ec_phone", "insurance_carrier"}
    | {"consent_contact", "consent_privacy", "return_to", "submission_token", "csrf_token"}
)
# Text that can be neither stored (NUL) nor encoded as UTF-8 (lone surrogates), mixed in.
UNSTORABLE = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"])
CHARS = st.characters() | UNSTORABLE
# Text with at least one of them, often next to a value a field accepts ("no\x00").
TAINTED = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.sampled_from(["", "no", "yes", "NY", "1", "Ana", "I feel low"]) | st.text(max_size=8),
    UNSTORABLE,
    st.text(CHARS, max_size=8),
)
TEXT = st.one_of(
    st.text(CHARS, max_size=40),
    st.sampled_from(
        ["yes", "no", "refused", "0", "3", "-1", "1e999", "nan", "NY", "back", "later"]
    ),
    st.sampled_from(["review", "next", "2999-01-01", "x" * 10_000, "\x00\x07", "ǅ\u202e", "[]"]),
    TAINTED,
)
FORM = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(CHARS, max_size=10)),
    st.one_of(TEXT, st.lists(TEXT, max_size=3)),
    max_size=12,
)
HUGE = st.sampled_from([10**400, -(10**400), 10**309])  # integers beyond any float
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.floats()
    | st.text(CHARS, max_size=20)
    | TAINTED,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(CHARS, max_size=12) | TAINTED, children, max_size=4)
    ),
    max_leaves=20,
)
# Budgets: enough examples to get past validation on every page (see _got_past_validation)
# at a cost the whole suite can carry; the alphabets above, not the count, find the bad input.
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Each example of these walks up to four valid steps first: fewer examples, as many requests.
WALK_FUZZ = settings(FUZZ, max_examples=30)
ENDPOINTS = ["/", "/save-for-later", "/start-over"] + [f"/step/{p.name}" for p in PAGES]
PROBLEM = "application/problem+json"
KEY_CHARS = st.characters(min_codepoint=32, max_codepoint=255)


def post_form(client: Any, path: str, data: dict[str, Any]) -> Any:
    """Post `data` url-encoded as UTF-8, lone surrogates too (as their three bytes each, which
    a browser would never send but anyone can)."""
    pairs = [
        (name, value)
        for name, values in data.items()
        for value in (values if isinstance(values, list) else [values])
    ]
    body = urlencode(pairs, encoding="utf-8", errors="surrogatepass")
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded")


def staff_client(app: Flask) -> Any:
    client = app.test_client()
    sign_in(client, "coordinator@demo.wayfinder")
    return client


def _unusable(node: Any) -> bool:
    """Whether a JSON document holds a key or string with NUL or a lone surrogate, or a number
    no float can hold (the test's own check, independent of the app's)."""
    if isinstance(node, dict):
        return any(_unusable(k) or _unusable(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_unusable(v) for v in node)
    if isinstance(node, str):
        return any(c == "\x00" or 0xD800 <= ord(c) <= 0xDFFF for c in node)
    if isinstance(node, float):
        return node != node or node in (float("inf"), float("-inf"))
    return isinstance(node, int) and not isinstance(node, bool) and abs(node) > 2**1024


def _stored_rows_render(app: Flask, staff: Any, since: datetime) -> None:
    """Every intake written since `since` can be shown again: its text holds no NUL and encodes
    as UTF-8 (a draft is shown back to its owner), and its staff page and FHIR export answer."""
    with app.app_context():
        rows = db.session.execute(
            select(
                Intake.id,
                Intake.submitted_at.is_not(None) | Intake.crisis_at.is_not(None),
                Intake.contact,
                Intake.answers,
                Intake.decision,
            ).where(Intake.updated_at >= since)
        ).all()
    for intake_id, shown_to_staff, *documents in rows:
        assert not _unusable(documents), (intake_id, documents)
        json.dumps(documents, ensure_ascii=False).encode()  # as any page would encode it
        if not shown_to_staff:
            continue  # a plain draft: its owner's pages show the text checked above
        page = staff.get(f"/staff/intakes/{intake_id}")
        assert page.status_code in (200, 404), (intake_id, page.status_code)
        fhir = staff.get(f"/api/v1/intakes/{intake_id}/questionnaire-response")
        assert fhir.status_code in (200, 404), (intake_id, fhir.status_code)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_form_garbage_never_breaks_a_page(app: Any, demo: Any, path: str) -> None:
    client, staff = app.test_client(), staff_client(app)
    client.post("/step/about", data={**ABOUT, "nav": "next"})  # some paths need a draft

    @FUZZ
    @given(data=FORM)
    def run(data: dict[str, Any]) -> None:
        since = utcnow()
        response = post_form(client, path, data)
        assert response.status_code < 500, (path, response.status_code)
        _stored_rows_render(app, staff, since)

    run()


@FUZZ
@given(
    token=st.text(CHARS, max_size=300),
    key=st.text(KEY_CHARS, max_size=120),
    contact=JSON,
    answers=JSON,
    extra=JSON,
)
def test_api_and_resume_garbage_never_breaks(
    app: Any, token: str, key: str, contact: Any, answers: Any, extra: Any
) -> None:
    client = api_client(app)
    resume = quote(token, safe="", errors="surrogatepass") or "x"
    response = client.get("/resume/" + resume)
    assert response.status_code < 500
    body = {"contact": contact, "answers": answers, "consent": extra, "language": extra}
    response = client.post("/api/v1/intakes", json=body, headers={"Idempotency-Key": key})
    assert response.status_code < 500
    if response.status_code >= 400:
        assert response.mimetype == PROBLEM
    raw = client.post(
        "/api/v1/intakes",
        data=token.encode("utf-8", "surrogatepass"),
        content_type="application/json",
    )
    assert raw.status_code < 500


# --- Valid input with one or two fields corrupted -------------------------------------------

DELETE = object()  # a corruption that removes the field instead of replacing it
CONCERN_LISTS = st.lists(st.sampled_from(CONCERNS), min_size=1, max_size=3, unique=True)
SAFETY_KEYS = tuple(i.key for b in BY_NAME["safety"].blocks for i in b.items)
# Posted as other fields than the answer key, with values the page accepts.
NUMBER_FIELDS: dict[str, dict[str, Sequence[str]]] = {
    HEIGHT.key: {"height_ft": ("4", "5", "6"), "height_in": ("0", "6", "11")},
    WEIGHT.key: {"weight_lb": ("95", "150", "260")},
    "drug_times": {"drug_times": ("0", "1", "12")},
}


def _valid_page(page: Page) -> st.SearchStrategy[dict[str, Any]]:
    """Every field of a questionnaire page, each with a value the page offers."""
    fields: dict[str, st.SearchStrategy[str]] = {}
    for block in page.blocks:
        for item in block.items:
            if item.options:
                fields[item.key] = st.sampled_from([str(v) for v, _label in item.options])
            else:
                for name, values in NUMBER_FIELDS[item.key].items():
                    fields[name] = st.sampled_from(values)
    return st.fixed_dictionaries(fields)


CONCERNS_FORM = st.fixed_dictionaries(
    {"concerns": CONCERN_LISTS, "free_text": st.just(factories.FREE_TEXT)}
)
VALID_FORMS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    **{p.name: _valid_page(p) for p in PAGES if p.blocks},
    "about": st.just(ABOUT),
    "safety": st.just(SAFE_ANSWERS) | _valid_page(BY_NAME["safety"]),
    "concerns": CONCERNS_FORM,
    "mood": st.just(MOOD) | _valid_page(BY_NAME["mood"]),
    "preferences": st.fixed_dictionaries(
        {
            "modality_preference": st.sampled_from(["in_person", "virtual", "no_preference"]),
            "availability": st.lists(st.sampled_from(AVAILABILITY), max_size=2, unique=True),
        }
    ),
    "review": st.just({"consent_contact": "yes", "consent_privacy": "yes", "nav": "submit"}),
}
# The fields each page reads: a corruption hits one of these, or any field at all.
OWN: dict[str, list[str]] = {
    **{
        p.name: sorted(
            {i.key for b in p.blocks for i in b.items if i.options}
            | {f for b in p.blocks for i in b.items if not i.options for f in NUMBER_FIELDS[i.key]}
            | {"nav"}
        )
        for p in PAGES
        if p.blocks
    },
    "about": sorted({*ABOUT, "email", "ec_name", "ec_phone", "sex", "nav"}),
    "concerns": ["concerns", "free_text", "nav"],
    "preferences": ["availability", "insurance_carrier", "insurance_member_id", "location"]
    + ["modality_preference", "nav"],
    "review": ["consent_contact", "consent_privacy", "nav"],
}
# The valid steps posted first, so the page is reached the way a person reaches it.
BEFORE: dict[str, tuple[str, ...]] = {
    "about": (),
    "safety": ("about",),
    "concerns": ("about",),
    "mood": ("about",),
    "experiences": ("about", "concerns"),  # the concerns choose its blocks
    "relationship": ("about", "concerns"),
    "habits": ("about", "concerns"),
    "health": ("about",),
    "preferences": ("about",),
    "review": ("about", "safety", "concerns", "mood"),
}
# Answer overrides for whole submissions: a whole safety page (consistent, so that the rules
# can decide on it), the other answers that decide a crisis, and the concerns.
OPTIONS = {i.key: [v for v, _label in i.options] for p in PAGES for b in p.blocks for i in b.items}
SAFETY_ANSWERS = st.fixed_dictionaries({key: st.sampled_from(OPTIONS[key]) for key in SAFETY_KEYS})
MORE_CRISIS_KEYS = ("phq9_9", "harm_others", "harm_others_intent", "ed_red_flags_today")
ANSWER_OVERRIDES = st.builds(
    lambda safety, more: {**safety, **more},
    st.just({}) | SAFETY_ANSWERS,
    st.fixed_dictionaries(
        {},
        optional={
            **{key: st.sampled_from(OPTIONS[key]) for key in MORE_CRISIS_KEYS},
            "concerns": CONCERN_LISTS,
        },
    ),
)


def _changes(
    keys: Sequence[Any], values: st.SearchStrategy[Any], at_least: int = 1
) -> st.SearchStrategy[Any]:
    """One or two (field, new value or DELETE) pairs, on distinct fields."""
    return st.lists(
        st.tuples(st.sampled_from(keys), values | st.just(DELETE)),
        min_size=at_least,
        max_size=2,
        unique_by=lambda change: change[0],
    )


def _corrupt_form(valid: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
    form = dict(valid)
    for name, value in changes:
        if value is DELETE:
            form.pop(name, None)
        else:
            form[name] = value
    return form


def form_changes(own: Sequence[str]) -> st.SearchStrategy[Any]:
    return _changes(own, st.one_of(TEXT, st.lists(TEXT, max_size=3))) | _changes(
        FIELDS, st.one_of(TEXT, st.lists(TEXT, max_size=3))
    )


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _got_past_validation(outcomes: Counter[int], path: str) -> None:
    """The fuzzing is only worth its time if inputs get past validation, not only into a 422.

    (A fifth to four fifths of the examples do, depending on the page.)
    """
    assert sum(n for status, n in outcomes.items() if status != 422) > 0, (path, outcomes)


@pytest.mark.parametrize("name", [p.name for p in PAGES])
def test_corrupted_step_never_breaks_a_page(app: Any, demo: Any, name: str) -> None:
    outcomes: Counter[int] = Counter()
    staff = staff_client(app)

    @WALK_FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        since = utcnow()
        client = app.test_client()
        for before in BEFORE[name]:
            valid = data.draw(VALID_FORMS[before], label=before)
            response = client.post(f"/step/{before}", data={**valid, "nav": "next"})
            assert response.status_code == 303, (before, valid, response.text[:2000])
        form = _corrupt_form(
            data.draw(VALID_FORMS[name], label=name),
            data.draw(form_changes(OWN[name]), label="changes"),
        )
        response = post_form(client, f"/step/{name}", form)
        assert response.status_code < 500, (name, response.status_code)
        _stored_rows_render(app, staff, since)
        outcomes[response.status_code] += 1
        if name == "safety" and response.status_code == 303:
            safe_now = _first(form.get("safe_now"))
            if isinstance(safe_now, str) and safe_now.strip() == "no":
                assert response.headers["Location"].endswith("/crisis"), form
        if name == "review" and response.status_code == 303:
            assert response.headers["Location"].endswith("/done"), form

    run()
    _got_past_validation(outcomes, name)


def test_corrupted_whole_form_never_breaks(app: Any, demo: Any) -> None:
    outcomes: Counter[int] = Counter()
    staff = staff_client(app)

    @FUZZ
    @given(overrides=ANSWER_OVERRIDES, changes=form_changes(sorted(factories.form_data())))
    def run(overrides: dict[str, Any], changes: list[tuple[str, Any]]) -> None:
        since = utcnow()
        form = _corrupt_form(factories.form_data(**overrides), changes)
        response = post_form(app.test_client(), "/", form)
        assert response.status_code < 500, response.status_code
        _stored_rows_render(app, staff, since)
        outcomes[response.status_code] += 1

    run()
    _got_past_validation(outcomes, "/")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every field and leaf of a JSON document, as a path of keys and indexes."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += _paths(child, (*prefix, index))
    return found


# Hypothesis favours the first paths: the answers that decide a crisis come first, the whole
# objects ("contact", "answers", ...) last.
API_PATHS = sorted(
    _paths(factories.payload()),
    key=lambda path: (len(path) == 1, path[0] != "answers", path[-1] not in SAFETY_KEYS),
)


def _at(body: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        try:
            body = body[step]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def _corrupt_json(body: Any, changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    for path, value in changes:
        parent = body
        for step in path[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            last = path[-1]
            if isinstance(parent, dict) and value is DELETE:
                parent.pop(last, None)
            elif isinstance(parent, dict):
                parent[last] = value
            elif isinstance(parent, list) and isinstance(last, int) and last < len(parent):
                if value is DELETE:
                    del parent[last]
                else:
                    parent[last] = value
    return body


def test_corrupted_api_body_never_breaks(app: Any, demo: Any) -> None:
    outcomes: Counter[int] = Counter()
    staff, client = staff_client(app), api_client(app)

    @FUZZ
    @given(
        overrides=ANSWER_OVERRIDES,
        # At least none: the API refuses any key its document does not name, so nearly every
        # corrupted body is a 422; bodies left whole (and the deletions of optional fields)
        # still take the path past validation to storage and the staff pages.
        changes=_changes(API_PATHS, JSON | TEXT, at_least=0),
        key=st.none() | st.uuids().map(str),  # bad keys: test_api_and_resume_garbage
    )
    def run(overrides: dict[str, Any], changes: list[Any], key: str | None) -> None:
        since = utcnow()
        body = _corrupt_json(factories.payload(**overrides), changes)
        headers = {} if key is None else {"Idempotency-Key": key}
        response = client.post("/api/v1/intakes", json=body, headers=headers)
        assert response.status_code < 500, response.status_code
        _stored_rows_render(app, staff, since)
        outcomes[response.status_code] += 1
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM
        if response.status_code == 201:  # a new intake: crisis help exactly when the rules say
            crisis = triage(body["answers"]).urgency == "crisis"
            assert response.json["crisis_help_shown"] is crisis, body["answers"]

    run()
    _got_past_validation(outcomes, "/api/v1/intakes")


# --- Unstorable input in one place, anywhere ------------------------------------------------

# Every field of the API body filled in (the optional text fields too), and the paths to its
# leaves, text first: one of them at a time gets unusable input.
FULL_PAYLOAD = factories.payload(
    contact={
        "email": "canary@example.org",
        "emergency_contact": {"name": "Sam Lee", "phone": "212 555 0100"},
        "insurance": {"carrier": "Aetna", "member_id": "X1"},
        "availability": ["weekends"],
        "consent": {"contact": True, "privacy": True, "at": "2026-01-01T09:00:00Z"},
    },
    location="nyc-midtown",
)
LEAVES = sorted(
    (path for path in _paths(FULL_PAYLOAD) if not isinstance(_at(FULL_PAYLOAD, path), dict)),
    key=lambda path: (not isinstance(_at(FULL_PAYLOAD, path), str), path[0] != "answers"),
)
# Objects of the API body where a key can be added: the body itself and each nested object.
API_OBJECTS = [()] + [
    path for path in _paths(FULL_PAYLOAD) if isinstance(_at(FULL_PAYLOAD, path), dict)
]


def test_unstorable_input_anywhere_in_the_api_is_refused(app: Any, demo: Any) -> None:
    """NUL, a lone surrogate or a number beyond a float in any value or key: a 4xx that names
    it, and nothing stored."""
    staff, client = staff_client(app), api_client(app)

    @settings(FUZZ, max_examples=60)
    @given(
        leaf=st.sampled_from(LEAVES),
        value=TAINTED | HUGE | st.sampled_from([math.inf, math.nan]),
        new_key=st.none() | st.tuples(st.sampled_from(API_OBJECTS), TAINTED, JSON),
    )
    def run(leaf: tuple[Any, ...], value: Any, new_key: Any) -> None:
        since = utcnow()
        body = _corrupt_json(copy.deepcopy(FULL_PAYLOAD), [(leaf, value)])
        if new_key is not None:
            where, key, value = new_key
            parent = _at(body, where)
            if isinstance(parent, dict):
                parent[key] = value
        response = client.post("/api/v1/intakes", json=body)
        assert response.status_code < 500, response.status_code
        if _unusable(body):
            assert response.status_code in (400, 422), (response.status_code, body)
            assert response.mimetype == PROBLEM
        _stored_rows_render(app, staff, since)

    run()


TEXT_FIELDS = sorted(k for k, v in factories.form_data().items() if isinstance(v, str))
TEXT_FIELDS += ["free_text", "location", "email", "ec_name", "ec_phone", "insurance_carrier"]


def test_unstorable_text_in_the_whole_form_is_refused(app: Any, demo: Any) -> None:
    staff = staff_client(app)

    @FUZZ
    @given(changes=_changes(sorted(set(TEXT_FIELDS)), TAINTED | st.lists(TAINTED, max_size=2)))
    def run(changes: list[tuple[str, Any]]) -> None:
        since = utcnow()
        form = _corrupt_form(factories.form_data(), changes)
        response = post_form(app.test_client(), "/", form)
        assert response.status_code < 500, response.status_code
        _stored_rows_render(app, staff, since)

    run()
