"""The questionnaire's pages as the web form walks them: order, progress and where a field is.

The pages, their questions, when each is shown and which are required are defined once in
`intake.questionnaire`; this module re-exports them for the form and adds what only the web
needs. Six steps; step 4 (questionnaires) has several parts. A page owns answer keys (`owns`: the
keys of its questions) and contact fields (`contact`): saving a page replaces exactly those in
the draft. Which blocks a page shows depends on the saved answers (the concerns of step 3, the
drug question, ...); a follow-up question is hidden until the answer it depends on is saved, and
the page is then shown again with the follow-up added (no script needed).
"""

from __future__ import annotations

from typing import Any

from intake.questionnaire import (
    BY_NAME,
    HEIGHT,
    PAGES,
    WEIGHT,
    Answers,
    Block,
    Page,
    Question,
    pages_for,
    shown,
    shown_blocks,
)

STEPS = 6
STEP_NAMES = {
    1: "About you",
    2: "Safety first",
    3: "What brings you here",
    4: "Questionnaires",
    5: "Preferences",
    6: "Check and send",
}


def visible(item: Question, answers: Answers) -> bool:
    """Whether a question's own condition shows it (its page and block aside)."""
    return shown(item.when, answers)


def shown_keys(page: Page, answers: Answers) -> set[str]:
    return {i.key for _, items in shown_blocks(page, answers) for i in items}


def page_of(field_name: str, answers: Answers) -> Page:
    """The page that asks for a field ("answers.phq9_9", "contact.insurance.carrier"); About you
    when no page owns it (the whole-form errors "contact" and "answers")."""
    kind, _, rest = field_name.partition(".")
    key = rest.split(".", 1)[0]
    for page in pages_for(answers):
        if key in (page.owns if kind == "answers" else page.contact):
            return page
    return PAGES[0]


def neighbour(name: str, answers: Answers, offset: int) -> Page | None:
    """The applicable page before (-1) or after (+1) `name`."""
    names = [p.name for p in pages_for(answers)]
    if name not in names:
        names = [p.name for p in PAGES]
    i = names.index(name) + offset
    return BY_NAME[names[i]] if 0 <= i < len(names) else None


def progress(page: Page, answers: Answers) -> dict[str, Any]:
    """'Step 4 of 6', and 'part 2 of 4' within step 4."""
    parts = [p.name for p in pages_for(answers) if p.step == page.step]
    part = parts.index(page.name) + 1 if page.name in parts else 1
    return {
        "step": page.step,
        "steps": STEPS,
        "step_name": STEP_NAMES[page.step],
        "part": part,
        "parts": len(parts),
    }


__all__ = [
    "BY_NAME",
    "HEIGHT",
    "PAGES",
    "STEPS",
    "STEP_NAMES",
    "WEIGHT",
    "Block",
    "Page",
    "Question",
    "neighbour",
    "page_of",
    "pages_for",
    "progress",
    "shown_blocks",
    "shown_keys",
    "visible",
]
