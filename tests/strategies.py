"""Hypothesis strategies for answer sets in the contract vocabulary, shared by the unit tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from intake.triage import CONCERNS, STATES, VOCABULARY

FREE_TEXT = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["", "I feel low", "I want to end my life", "Overdose last week", "grief"]),
)


def answer_value(key: str) -> st.SearchStrategy[Any]:
    """A valid value for one answer key, across the whole range its spec allows."""
    spec = VOCABULARY[key]
    if spec.kind == "choice":
        return st.sampled_from(spec.values)
    if spec.kind == "int":
        return st.integers(int(spec.low or 0), min(int(spec.high or 0), 200))
    if spec.kind == "number":
        return st.floats(spec.low or 0, spec.high or 0, allow_nan=False)
    if spec.kind == "state":
        return st.sampled_from(sorted(STATES))
    if spec.kind == "concerns":
        return st.lists(st.sampled_from(CONCERNS), unique=True, max_size=4)
    return FREE_TEXT if key == "free_text" else st.text(max_size=20)


# Most keys present most of the time (real intakes), with gaps to exercise D2 missing data.
valid_answer_sets = st.fixed_dictionaries({}, optional={k: answer_value(k) for k in VOCABULARY})
