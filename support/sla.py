"""SLA clock maths: business calendars and working-time arithmetic.

Pure functions, no ORM: a BusinessCalendar row is turned into a `Calendar` with
`Calendar.from_spec`, so the maths is proved by hand-computed cases without a database
and can be called from services, tasks and the seed alike.

Calendar spec, the JSON-able shape the model stores (`Calendar.to_spec` gives it back)::

    {
        "tz_name": "Europe/Istanbul",                        # an IANA zone name
        "weekly": {
            "0": [["09:00", "12:30"], ["13:30", "17:00"]],   # Monday, with a lunch break
            "1": [["09:00", "17:00"]],                       # Tuesday
            "5": [],                                         # Saturday: closed (a missing key too)
            "6": [["00:00", "24:00"]],                       # Sunday: the whole day
        },
        "holidays": ["2026-12-25"],                          # local dates with no working time
    }

Weekly keys are weekdays as strings, "0" Monday to "6" Sunday. Each day holds ordered,
non-overlapping [start, end) pairs of local wall-clock "HH:MM"; "24:00" is allowed as an
end and means the next midnight, so a 24/7 day is [["00:00", "24:00"]].

Working time is real elapsed time: each interval's local boundaries are turned into
instants before measuring, so a 24/7 day lasts 23 hours on the spring DST change and 25
on the autumn one, and an SLA of "24 hours" means 24 hours on the customer's clock too.
A boundary inside the spring gap resolves as zoneinfo does for fold=0 (moved forward by
the gap); one inside the repeated autumn hour is its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.translation import gettext as _

MINUTES_PER_DAY = 24 * 60

# How many days in a row without working time `add_business_minutes` walks before it
# gives up: ten years of closed days is a broken calendar, and without a bound an empty
# one would loop forever.
MAX_IDLE_DAYS = 3660

Interval = tuple[int, int]  # [start, end) in minutes since local midnight, 0 <= start < end <= 1440
DayHours = tuple[Interval, ...]  # one weekday's working intervals, ordered, non-overlapping
SlaState = Literal["none", "ok", "near", "breached"]
_Span = tuple[datetime, datetime]  # a working interval as UTC instants, [start, end)

_WEEKDAY_KEYS = frozenset(str(weekday) for weekday in range(7))


class CalendarSpec(TypedDict):
    """The JSON-able calendar shape of the module docstring: `Calendar.from_spec(**spec)`."""

    tz_name: str
    weekly: dict[str, list[list[str]]]
    holidays: list[str]


@dataclass(frozen=True)
class Calendar:
    """When the SLA clock runs: weekly working intervals in a time zone, minus holidays.

    `weekly_hours` has seven entries indexed by `date.weekday()` (0 = Monday); a tuple
    rather than a dict so that a calendar is hashable and can be cached.
    """

    tz: ZoneInfo
    weekly_hours: tuple[DayHours, ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if len(self.weekly_hours) != 7:
            raise ValueError("weekly_hours needs one entry per weekday (7), Monday first.")
        for day_hours in self.weekly_hours:
            _check_day_hours(day_hours)

    @classmethod
    def always(cls, tz: ZoneInfo, holidays: Iterable[date] = ()) -> Calendar:
        """Round the clock, every day (urgent queues, 24/7 support)."""
        whole_day: DayHours = ((0, MINUTES_PER_DAY),)
        return cls(tz, (whole_day,) * 7, frozenset(holidays))

    @classmethod
    def weekdays(
        cls, tz: ZoneInfo, start: time = time(9), end: time = time(17), holidays: Iterable[date] = ()
    ) -> Calendar:
        """Office hours Monday to Friday, closed at the weekend (the default calendar)."""
        office: DayHours = ((_minutes_of(start), _minutes_of(end)),)
        return cls(tz, (office,) * 5 + ((),) * 2, frozenset(holidays))

    @classmethod
    def from_spec(
        cls,
        tz_name: str,
        weekly: Mapping[str, Sequence[Sequence[str]]],
        holidays: Iterable[str | date] = (),
    ) -> Calendar:
        """Build a calendar from the stored JSON shape; ValueError says what is wrong with it."""
        unknown = set(weekly) - _WEEKDAY_KEYS
        if unknown:
            raise ValueError(f"Weekday keys are '0' (Monday) to '6' (Sunday), not {sorted(unknown)}.")
        weekly_hours = tuple(
            tuple(_parse_interval(pair) for pair in weekly.get(str(weekday), ())) for weekday in range(7)
        )
        return cls(_zone(tz_name), weekly_hours, frozenset(_parse_date(day) for day in holidays))

    def to_spec(self) -> CalendarSpec:
        """The JSON-able shape `from_spec` reads, for the model, fixtures and the seed."""
        return {
            "tz_name": self.tz.key,
            "weekly": {
                str(weekday): [[_format_minutes(start), _format_minutes(end)] for start, end in day_hours]
                for weekday, day_hours in enumerate(self.weekly_hours)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }


def add_business_minutes(start: datetime, minutes: int, calendar: Calendar) -> datetime:
    """The instant `minutes` of working time after `start`, in the calendar's zone.

    With minutes=0 it is `start` itself inside working hours, else the next opening:
    a clock started at the weekend starts on Monday morning. The end of an interval
    counts as inside it (Fri 16:30 + 30 min is Fri 17:00, not Monday 09:00).
    """
    _require_aware(start)
    if minutes < 0:
        raise ValueError("minutes must not be negative.")
    return _add_business_time(start, timedelta(minutes=minutes), calendar)


def business_minutes_between(start: datetime, end: datetime, calendar: Calendar) -> int:
    """Whole working minutes in [start, end); 0 when end is not after start."""
    _require_aware(start)
    _require_aware(end)
    return _business_time_between(start, end, calendar) // timedelta(minutes=1)


def resume_due(*, due: datetime, paused_at: datetime, resumed_at: datetime, calendar: Calendar) -> datetime:
    """The due time after a pause (a ticket `pending` on the customer) ends.

    The working time that was left when the clock paused is still left when it resumes;
    a due time already past when the ticket was paused stays breached. Keyword-only
    because three datetimes in a row are easy to swap.
    """
    for moment in (due, paused_at, resumed_at):
        _require_aware(moment)
    if resumed_at < paused_at:
        raise ValueError("resumed_at is before paused_at.")
    if due <= paused_at:
        return due
    return _add_business_time(resumed_at, _business_time_between(paused_at, due, calendar), calendar)


def sla_state(due: datetime | None, now: datetime, warn_minutes: int) -> SlaState:
    """Where a clock stands: no clock, on track, breaching within `warn_minutes`, breached.

    Measured in real minutes, not business minutes, so it agrees with the set-based
    escalation pass and the list filter, which compare due times with now() in SQL.
    A clock is breached from the due instant on (nothing is left at due == now).
    """
    if due is None:
        return "none"
    if due <= now:
        return "breached"
    if due - now <= timedelta(minutes=warn_minutes):
        return "near"
    return "ok"


def format_remaining(due: datetime, now: datetime) -> str:
    """The countdown agents read: "2h 10m left" or "breached 35m ago" (real time, floored)."""
    if due > now:
        return _("%(duration)s left") % {"duration": _format_duration(due - now)}
    return _("breached %(duration)s ago") % {"duration": _format_duration(now - due)}


def _format_duration(delta: timedelta) -> str:
    """Two units at most: days and hours, hours and minutes, or minutes."""
    days, rest = divmod(delta // timedelta(minutes=1), MINUTES_PER_DAY)
    hours, minutes = divmod(rest, 60)
    if days:
        # Translators: d, h and m abbreviate days, hours and minutes in an SLA countdown.
        return _("%(days)dd %(hours)dh") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)dh %(minutes)dm") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)dm") % {"minutes": minutes}


def _add_business_time(start: datetime, amount: timedelta, calendar: Calendar) -> datetime:
    """Walk the working spans from `start`, spending `amount` of working time."""
    for span_start, span_end in _spans_from(start, calendar):
        if amount <= span_end - span_start:
            return (span_start + amount).astimezone(calendar.tz)
        amount -= span_end - span_start
    raise AssertionError("_spans_from never ends; it raises instead.")


def _business_time_between(start: datetime, end: datetime, calendar: Calendar) -> timedelta:
    """Working time in [start, end), exact to the microsecond."""
    total = timedelta(0)
    if end <= start:
        return total
    for span_start, span_end in _spans_from(start, calendar):
        if span_start >= end:
            break
        total += min(span_end, end) - span_start
    return total


def _spans_from(start: datetime, calendar: Calendar) -> Iterator[_Span]:
    """Working spans at or after `start`, clipped to it, in order, day after day.

    Raises ValueError after MAX_IDLE_DAYS days in a row without working time, so
    callers never loop forever on an empty calendar.
    """
    start = start.astimezone(UTC)  # UTC arithmetic is real time; wall-clock arithmetic is not
    day = start.astimezone(calendar.tz).date()
    idle_days = 0
    while True:
        spans = [(max(span_start, start), span_end) for span_start, span_end in _day_spans(day, calendar)]
        spans = [span for span in spans if span[1] > span[0]]
        idle_days = 0 if spans else idle_days + 1
        if idle_days > MAX_IDLE_DAYS:
            raise ValueError(
                f"The business calendar ({calendar.tz.key}) has no working hours "
                f"in {MAX_IDLE_DAYS} days after {start.isoformat()}."
            )
        yield from spans
        day += timedelta(days=1)


def _day_spans(day: date, calendar: Calendar) -> list[_Span]:
    """One local day's working intervals as UTC instants; none on a holiday.

    A start inside the spring gap can land after the previous interval's end, so each
    span starts no earlier than the one before ended and empty spans are dropped.
    """
    if day in calendar.holidays:
        return []
    midnight = datetime.combine(day, time(0), tzinfo=calendar.tz)
    spans: list[_Span] = []
    previous_end = _instant(midnight, 0)
    for start, end in calendar.weekly_hours[day.weekday()]:
        span_start, span_end = max(_instant(midnight, start), previous_end), _instant(midnight, end)
        if span_start < span_end:
            spans.append((span_start, span_end))
        previous_end = max(previous_end, span_end)
    return spans


def _instant(local_midnight: datetime, minutes: int) -> datetime:
    """The UTC instant of a local wall-clock time: aware + timedelta is wall-clock arithmetic."""
    return (local_midnight + timedelta(minutes=minutes)).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    """A naive datetime has no instant: guessing its zone is how SLA clocks drift by hours."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"SLA maths needs an aware datetime, got naive {moment.isoformat()}.")


def _check_day_hours(day_hours: DayHours) -> None:
    previous_end = 0
    for start, end in day_hours:
        if not previous_end <= start < end <= MINUTES_PER_DAY:
            raise ValueError(f"Working intervals must be ordered, non-overlapping and within 00:00-24:00: {day_hours}")
        previous_end = end


def _parse_interval(pair: Sequence[str]) -> Interval:
    if len(pair) != 2:
        raise ValueError(f"A working interval is a pair [start, end], not {pair!r}.")
    return _parse_minutes(pair[0]), _parse_minutes(pair[1])


def _parse_minutes(text: str) -> int:
    """Minutes since midnight of "HH:MM"; "24:00" is the next midnight."""
    hours, colon, minutes = text.partition(":")
    if not (colon and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(minutes) < 60):
        raise ValueError(f"A time is written HH:MM, not {text!r}.")
    value = int(hours) * 60 + int(minutes)
    if value > MINUTES_PER_DAY:
        raise ValueError(f"A time is at most 24:00, not {text!r}.")
    return value


def _format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes_of(moment: time) -> int:
    return moment.hour * 60 + moment.minute


def _parse_date(day: str | date) -> date:
    return day if isinstance(day, date) else date.fromisoformat(day)


def _zone(tz_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"Unknown time zone {tz_name!r}.") from error
