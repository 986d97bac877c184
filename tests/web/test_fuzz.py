"""Fuzzing every public endpoint: no input, however broken, yields a server error.

Pure garbage (random fields, random JSON) exercises the parsers, and is refused there. So the
main cases start from valid posts and bodies and corrupt one or two fields (or JSON leaves) with
the same garbage: enough of them pass validation to reach what comes after it, branching on the
saved answers, saving the draft, crisis detection and the submit. Every example starts from a
fresh session, so a failure replays (and shrinks) on its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.public.pages import BY_NAME, HEIGHT, PAGES, WEIGHT, Page
from intake.screening import INSTRUMENTS, SAFETY
from intake.triage import triage
from intake.triage.vocabulary import CONCERNS
from intake.validation import AVAILABILITY
from tests import factories
from tests.web.questionnaire_helpers import ABOUT, MOOD
from tests.web.questionnaire_helpers import SAFETY as SAFE_ANSWERS

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
# Each example of these walks up to four valid steps first: fewer examples, as many requests.
WALK_FUZZ = settings(FUZZ, max_examples=50)
ENDPOINTS = ["/", "/save-for-later", "/start-over"] + [f"/step/{p.name}" for p in PAGES]
PROBLEM = "application/problem+json"
KEY_CHARS = st.characters(min_codepoint=32, max_codepoint=255)


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
    key=st.text(KEY_CHARS, max_size=120),
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
        assert response.mimetype == PROBLEM
    raw = client.post("/api/v1/intakes", data=token.encode(), content_type="application/json")
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


def _changes(keys: Sequence[Any], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """One or two (field, new value or DELETE) pairs, on distinct fields."""
    return st.lists(
        st.tuples(st.sampled_from(keys), values | st.just(DELETE)),
        min_size=1,
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

    @WALK_FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        client = app.test_client()
        for before in BEFORE[name]:
            valid = data.draw(VALID_FORMS[before], label=before)
            response = client.post(f"/step/{before}", data={**valid, "nav": "next"})
            assert response.status_code == 303, (before, valid, response.text[:2000])
        form = _corrupt_form(
            data.draw(VALID_FORMS[name], label=name),
            data.draw(form_changes(OWN[name]), label="changes"),
        )
        response = client.post(f"/step/{name}", data=form)
        assert response.status_code < 500, (name, response.status_code)
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

    @FUZZ
    @given(overrides=ANSWER_OVERRIDES, changes=form_changes(sorted(factories.form_data())))
    def run(overrides: dict[str, Any], changes: list[tuple[str, Any]]) -> None:
        form = _corrupt_form(factories.form_data(**overrides), changes)
        response = app.test_client().post("/", data=form)
        assert response.status_code < 500, response.status_code
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

    @FUZZ
    @given(
        overrides=ANSWER_OVERRIDES,
        changes=_changes(API_PATHS, JSON | TEXT),
        key=st.none() | st.uuids().map(str),  # bad keys: test_api_and_resume_garbage
    )
    def run(overrides: dict[str, Any], changes: list[Any], key: str | None) -> None:
        body = _corrupt_json(factories.payload(**overrides), changes)
        headers = {} if key is None else {"Idempotency-Key": key}
        response = app.test_client().post("/api/v1/intakes", json=body, headers=headers)
        assert response.status_code < 500, response.status_code
        outcomes[response.status_code] += 1
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM
        if response.status_code == 201:  # a new intake: crisis help exactly when the rules say
            crisis = triage(body["answers"]).urgency == "crisis"
            assert response.json["crisis_help_shown"] is crisis, body["answers"]

    run()
    _got_past_validation(outcomes, "/api/v1/intakes")
