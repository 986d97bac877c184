"""Business-hours arithmetic for accept deadlines (pure functions, no app needed)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from intake.escalation import hours

NY = ZoneInfo("America/New_York")
CAL = hours.calendar("09:00-17:00", "Mon-Fri", "America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (ny(2026, 3, 2, 10, 0), 1, ny(2026, 3, 3, 10, 0)),  # Monday 10:00 -> Tuesday 10:00
        (ny(2026, 3, 6, 16, 0), 1, ny(2026, 3, 9, 16, 0)),  # Friday 16:00 -> Monday 16:00
        (ny(2026, 3, 7, 12, 0), 1, ny(2026, 3, 9, 17, 0)),  # Saturday: counts from Monday 09:00
        (ny(2026, 3, 2, 20, 0), 1, ny(2026, 3, 3, 17, 0)),  # after hours: from the next morning
        (ny(2026, 3, 2, 8, 0), 0.5, ny(2026, 3, 2, 13, 0)),  # before hours: from 09:00
        (ny(2026, 3, 4, 9, 0), 3, ny(2026, 3, 6, 17, 0)),  # Wednesday 09:00 + 3 -> Friday close
    ],
)
def test_add_business_days(start: datetime, days: float, due: datetime) -> None:
    assert hours.add_business_days(start, days, CAL) == due.astimezone(UTC)


def test_across_the_daylight_saving_change() -> None:
    # 2026-03-08 is the spring-forward Sunday in New York: open hours are unaffected.
    assert hours.add_business_days(ny(2026, 3, 6, 12, 0), 1, CAL) == ny(2026, 3, 9, 12, 0)


def test_result_is_utc_and_start_must_be_aware() -> None:
    due = hours.add_business_time(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), timedelta(hours=1), CAL)
    assert due.tzinfo is UTC and due == datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        hours.add_business_time(datetime(2026, 3, 2, 15, 0), timedelta(hours=1), CAL)  # noqa: DTZ001


def test_parsing() -> None:
    assert hours.parse_hours("08:30-18:00") == (time(8, 30), time(18, 0))
    assert hours.parse_days("Mon-Fri") == frozenset(range(5))
    assert hours.parse_days("Fri-Mon") == frozenset({4, 5, 6, 0})
    assert hours.parse_days("mon,wed") == frozenset({0, 2})
    assert hours.parse_targets("urgent=1,soon=2,routine=3") == {
        "urgent": 1.0,
        "soon": 2.0,
        "routine": 3.0,
    }
    assert hours.parse_seconds("900,1800") == (900, 1800)
    assert CAL.day_length == timedelta(hours=8)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (hours.parse_hours, "17:00-09:00"),
        (hours.parse_hours, "nine to five"),
        (hours.parse_days, "Funday"),
        (hours.parse_targets, "urgent=0"),
        (hours.parse_targets, "urgent"),
        (hours.parse_seconds, "1800,900"),
        (hours.parse_seconds, "soon"),
    ],
)
def test_bad_settings_are_refused(call: object, text: str) -> None:
    with pytest.raises(hours.CalendarError):
        call(text)  # type: ignore[operator]


def test_unknown_time_zone() -> None:
    with pytest.raises(hours.CalendarError):
        hours.calendar("09:00-17:00", "Mon-Fri", "Mars/Olympus")


def test_parsed_settings_are_cached_and_read_only() -> None:
    # Read on every offer, deadline check and email: parsed once per text, shared by all.
    assert hours.calendar("09:00-17:00", "Mon-Fri", "America/New_York") is CAL
    assert hours.parse_seconds("900,1800") is hours.parse_seconds("900,1800")
    targets = hours.parse_targets("urgent=1,soon=2")
    assert hours.parse_targets("urgent=1,soon=2") is targets
    with pytest.raises(TypeError):
        targets["urgent"] = 9.0  # type: ignore[index]
    assert hours.parse_targets("urgent=1,soon=2") == {"urgent": 1.0, "soon": 2.0}
