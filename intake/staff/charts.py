"""Server-rendered bar charts (SVG geometry for templates/staff/_chart.html); no JavaScript.

Each chart is an image with a title and a description; the same numbers are always in a table
beside it, which is what a screen reader reads.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 360  # viewBox units; the SVG scales to its box (a phone's width, about 1:1)
ROW = 38  # one item: its label on a line, its bar below
BAR = 14
LABEL_LINE = 13  # the label's baseline, from the top of the item
BAR_TOP = 18  # the bar's top, from the top of the item
PAD = 4
VALUE_ROOM = 90  # right of the longest bar, for its value text


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as text at the bar's end
    y: float
    width: float


@dataclass(frozen=True)
class Chart:
    ident: str
    title: str
    desc: str
    bars: list[Bar]
    height: float
    width: int = WIDTH
    bar_height: int = BAR
    label_line: int = LABEL_LINE
    bar_top: int = BAR_TOP


def bar_chart(
    ident: str,
    title: str,
    desc: str,
    items: list[tuple[str, float | None, str]],
    scale_max: float | None = None,
) -> Chart:
    """Horizontal bars, one per (label, value, shown) item, each under its label, on a common
    scale from 0 to `scale_max` (default the largest value). A missing value draws no bar."""
    top = scale_max or max((v for _, v, _ in items if v is not None), default=0) or 1
    room = WIDTH - VALUE_ROOM
    bars = [
        Bar(
            label=label,
            value=value or 0,
            shown=shown,
            y=PAD + i * ROW,
            width=round(room * max(0.0, min(1.0, (value or 0) / top)), 1),
        )
        for i, (label, value, shown) in enumerate(items)
    ]
    return Chart(ident, title, desc, bars, height=PAD * 2 + ROW * max(1, len(items)))
