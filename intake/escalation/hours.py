"""Business hours arithmetic and the parsing of its settings. Pure: stdlib only.

Deadlines such as "accept an urgent assignment within 1 business day" count only the practice's
open hours (e.g. 09:00-17:00, Monday to Friday, in America/New_York): an offer made on Friday at
16:00 is due on Monday at 16:00.

The settings are checked at start-up and read again where they are used (each offer, each
deadline check, each email): `calendar`, `parse_targets` and `parse_seconds` are cached, so
that costs one parse per distinct text. What they return is immutable (shared by every caller).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_SCANNED = 3700  # ten years: a calendar with open hours finds them well before


class CalendarError(ValueError):
    """A business-hours setting that cannot be understood."""


@dataclass(frozen=True)
class BusinessCalendar:
    opens: time
    closes: time
    weekdays: frozenset[int]  # 0 = Monday
    tz: ZoneInfo

    @property
    def day_length(self) -> timedelta:
        opens = timedelta(hours=self.opens.hour, minutes=self.opens.minute)
        return timedelta(hours=self.closes.hour, minutes=self.closes.minute) - opens


def parse_hours(text: str) -> tuple[time, time]:
    """ "09:00-17:00" -> (09:00, 17:00); the day must have open hours."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise CalendarError(f"business hours must look like 09:00-17:00, not {text!r}") from None
    if end <= start:
        raise CalendarError(f"business hours end before they start: {text!r}")
    return start, end


def parse_days(text: str) -> frozenset[int]:
    """ "Mon-Fri", "Mon,Wed,Fri" or "Mon-Wed,Sat" -> weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        try:
            a = DAY_NAMES.index(first[:3])
            b = DAY_NAMES.index(last[:3]) if last else a
        except ValueError:
            raise CalendarError(f"business days must look like Mon-Fri, not {text!r}") from None
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


@lru_cache(maxsize=16)
def calendar(hours: str, days: str, tz: str) -> BusinessCalendar:
    opens, closes = parse_hours(hours)
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        raise CalendarError(f"unknown time zone {tz!r}") from None
    weekdays = parse_days(days)
    if not weekdays:
        raise CalendarError("no business days")
    return BusinessCalendar(opens, closes, weekdays, zone)


def add_business_time(start: datetime, duration: timedelta, cal: BusinessCalendar) -> datetime:
    """The moment `duration` of open hours after `start` (an aware datetime); returned in UTC."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    remaining = duration
    cursor = start.astimezone(cal.tz)
    for _ in range(_MAX_DAYS_SCANNED):
        day = cursor.date()
        if day.weekday() in cal.weekdays:
            opens = datetime.combine(day, cal.opens, tzinfo=cal.tz)
            closes = datetime.combine(day, cal.closes, tzinfo=cal.tz)
            begin = max(cursor, opens)
            if begin < closes:
                available = closes - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
        cursor = datetime.combine(day + timedelta(days=1), time(0), tzinfo=cal.tz)
    raise CalendarError("no open hours found")  # pragma: no cover - weekdays is never empty


def add_business_days(start: datetime, days: float, cal: BusinessCalendar) -> datetime:
    """`days` business days after `start`: one business day is one day of open hours."""
    return add_business_time(start, cal.day_length * days, cal)


@lru_cache(maxsize=16)
def parse_targets(text: str) -> Mapping[str, float]:
    """ "urgent=1,soon=2,routine=3" -> {"urgent": 1.0, ...} (business days per urgency)."""
    targets: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not name.strip() or number <= 0:
            raise CalendarError(f"targets must look like urgent=1,soon=2, not {text!r}")
        targets[name.strip()] = number
    return MappingProxyType(targets)


@lru_cache(maxsize=16)
def parse_seconds(text: str) -> tuple[int, ...]:
    """ "900,1800" -> (900, 1800): ascending, positive."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise CalendarError(f"expected seconds like 900,1800, not {text!r}") from None
    if not values or any(v <= 0 for v in values) or list(values) != sorted(set(values)):
        raise CalendarError(f"expected ascending positive seconds, not {text!r}")
    return values
