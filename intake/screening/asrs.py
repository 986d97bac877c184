"""ASRS v1.1 Screener, Part A (Adult ADHD Self-Report Scale; Kessler et al. 2005, WHO).

Scored by counting "shaded" boxes, never by summing: items 1-3 count at Sometimes (2) or more,
items 4-6 only at Often (3) or more. Four or more shaded boxes is positive. Adults only.
"""

from __future__ import annotations

from .base import Instrument, Item, Scale

KEYS = tuple(f"asrs_{n}" for n in range(1, 7))
OPTIONS = ((0, "Never"), (1, "Rarely"), (2, "Sometimes"), (3, "Often"), (4, "Very Often"))
# The lowest answer value that lands in a shaded box, per item.
SHADED_FROM = {"asrs_1": 2, "asrs_2": 2, "asrs_3": 2, "asrs_4": 3, "asrs_5": 3, "asrs_6": 3}

_TEXTS = (
    "How often do you have trouble wrapping up the final details of a project, once the "
    "challenging parts have been done?",
    "How often do you have difficulty getting things in order when you have to do a task that "
    "requires organization?",
    "How often do you have problems remembering appointments or obligations?",
    "When you have a task that requires a lot of thought, how often do you avoid or delay "
    "getting started?",
    "How often do you fidget or squirm with your hands or feet when you have to sit down for a "
    "long time?",
    "How often do you feel overly active and compelled to do things, like you were driven by a "
    "motor?",
)

INSTRUMENT = Instrument(
    key="asrs",
    name="ASRS v1.1 Screener, Part A (Adult ADHD Self-Report Scale)",
    title="Focus and getting things done over the past 6 months",
    stem=(
        "Please answer the questions below, rating yourself on each of the criteria shown. "
        "As you answer each question, choose the answer that best describes how you have felt "
        "and conducted yourself over the past 6 months."
    ),
    items=tuple(Item(k, t, OPTIONS) for k, t in zip(KEYS, _TEXTS, strict=True)),
    source=(
        "Kessler RC et al. The World Health Organization Adult ADHD Self-Report Scale (ASRS). "
        "Psychol Med 2005;35:245-256. (c) World Health Organization; free for clinical screening."
    ),
    wording_note=(
        "Items verbatim. The stem adapts the paper form's 'place an X in the box ... using the "
        "scale on the right side of the page' to a web form."
    ),
)


# Counted, never summed: an item counts 1 when its answer lands in the shaded box.
SCALE = Scale(INSTRUMENT, KEYS, cutoff="asrs", counted_from=SHADED_FROM)  # positive at >= 4
