"""MDQ (Mood Disorder Questionnaire; Hirschfeld et al. 2000): three-part rule, lifetime.

Positive only when all three parts hold: question 1 has >= 7 yes (of 13), question 2 (same
period) is yes, and question 3 (problem) is moderate or serious. The score is the question 1 yes
count. Three-valued: any part that fails makes it negative; a part that is unknown (and none
failing) makes it unknown.
"""

from __future__ import annotations

from .base import NOT_ASKED, YES_NO, Answers, Instrument, Item, Scale, Score, Tally, scored

KEYS = tuple(f"mdq_{n}" for n in range(1, 14))
PROBLEM_OPTIONS = (
    ("none", "No problem"),
    ("minor", "Minor problem"),
    ("moderate", "Moderate problem"),
    ("serious", "Serious problem"),
)

_TEXTS = (
    "...you felt so good or so hyper that other people thought you were not your normal self "
    "or you were so hyper that you got into trouble?",
    "...you were so irritable that you shouted at people or started fights or arguments?",
    "...you felt much more self-confident than usual?",
    "...you got much less sleep than usual and found you didn't really miss it?",
    "...you were much more talkative or spoke much faster than usual?",
    "...thoughts raced through your head or you couldn't slow your mind down?",
    "...you were so easily distracted by things around you that you had trouble concentrating "
    "or staying on track?",
    "...you had much more energy than usual?",
    "...you were much more active or did many more things than usual?",
    "...you were much more social or outgoing than usual, for example, you telephoned friends "
    "in the middle of the night?",
    "...you were much more interested in sex than usual?",
    "...you did things that were unusual for you or that other people might have thought were "
    "excessive, foolish, or risky?",
    "...spending money got you or your family into trouble?",
)

INSTRUMENT = Instrument(
    key="mdq",
    name="MDQ (Mood Disorder Questionnaire)",
    title="Times of unusually high energy or mood",
    stem="Has there ever been a period of time when you were not your usual self and...",
    items=(
        *(Item(k, t, YES_NO) for k, t in zip(KEYS, _TEXTS, strict=True)),
        Item(
            "mdq_same_period",
            "If you answered YES to more than one of the above, have several of these ever "
            "happened during the same period of time?",
            YES_NO,
        ),
        Item(
            "mdq_problem",
            "How much of a problem did any of these cause you \u2014 like being unable to work; "
            "having family, money or legal troubles; getting into arguments or fights?",
            PROBLEM_OPTIONS,
        ),
    ),
    source=(
        "Hirschfeld RMA et al. Development and validation of a screening instrument for bipolar "
        "spectrum disorder: the Mood Disorder Questionnaire. Am J Psychiatry 2000;157:1873-1875. "
        "(c) Hirschfeld; reproduced for clinical use."
    ),
)
# Questions 2 and 3 sorted into the three-valued parts of the rule: 0 = unanswered, 1 = holds,
# 2 = fails, 3 = unreadable (unknown, though answered). `rate` sees only these states.
# Anything else (another text, a number, a list) is 3. True/False are not keys, so they are 3 too.
_SAME: dict[object, int] = {None: 0, "yes": 1, "no": 2}
_PROBLEM: dict[object, int] = {None: 0, "moderate": 1, "serious": 1, "none": 2, "minor": 2}
_PART = (None, True, False, None)
_STATE_KEYS = ("mdq_same_period", "mdq_problem")


def _part_state(table: dict[object, int], value: object) -> int:
    try:
        return table.get(value, 3)
    except TypeError:  # unhashable, so certainly not a contract value
        return 3


def _state(answers: Answers) -> int:
    """Question 2 and question 3 as one state, 0-15 (4 x question 2 + question 3)."""
    get = answers.get
    return 4 * _part_state(_SAME, get("mdq_same_period")) + _part_state(
        _PROBLEM, get("mdq_problem")
    )


def _and3(a: bool | None, b: bool | None, c: bool | None) -> bool | None:
    if a is False or b is False or c is False:
        return False
    if a is True and b is True and c is True:
        return True
    return None


def _rule(t: Tally, state: int, cutoff: int) -> Score:
    """The Score from the question 1 tally and the questions 2-3 state (`_state`)."""
    same, problem = divmod(state, 4)
    if not t.answered and same == 0 and problem == 0:
        return NOT_ASKED
    if t.total is not None:
        part1: bool | None = t.total >= cutoff
    elif t.answered and t.low >= cutoff:
        part1 = True
    elif t.high < cutoff:
        part1 = False
    else:
        part1 = None
    return scored(t, _and3(part1, _PART[same], _PART[problem]))


SCALE = Scale(
    INSTRUMENT,
    KEYS,
    cutoff="mdq_yes",  # question 1: >= 7 yes by default
    rule=_rule,
    state=(_state, 16, _STATE_KEYS),
)
