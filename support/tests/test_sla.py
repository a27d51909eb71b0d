"""SLA maths by hand-computed cases (issue 13, "Tests"): no database, real time zones."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from support import sla
from support.sla import Calendar, add_business_minutes, business_minutes_between, resume_due

BERLIN = ZoneInfo("Europe/Berlin")
ISTANBUL = ZoneInfo("Europe/Istanbul")
OFFICE = Calendar.weekdays(BERLIN)  # Mon-Fri 09:00-17:00
ALWAYS = Calendar.always(BERLIN)
LUNCH_BREAK = Calendar.from_spec(
    "Europe/Berlin",
    {str(weekday): [["09:00", "12:30"], ["13:30", "17:00"]] for weekday in range(5)},
)

# Fri 4, Sat 5, Sun 6, Mon 7, Tue 8 December 2026.
FRIDAY, SATURDAY, MONDAY, TUESDAY = date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 7), date(2026, 12, 8)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = BERLIN) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def test_friday_afternoon_plus_an_hour_is_monday_half_past_nine():
    assert add_business_minutes(at(FRIDAY, 16, 30), 60, OFFICE) == at(MONDAY, 9, 30)


def test_a_monday_holiday_moves_the_due_time_to_tuesday():
    calendar = Calendar.weekdays(BERLIN, holidays=[MONDAY])

    assert add_business_minutes(at(FRIDAY, 16, 30), 60, calendar) == at(TUESDAY, 9, 30)


def test_a_day_across_the_spring_dst_change_is_23_hours_on_a_24_7_calendar():
    due = add_business_minutes(at(date(2026, 3, 28), 12), 1440, ALWAYS)

    assert due == at(date(2026, 3, 29), 13)
    assert (due.tzinfo, due.hour) == (BERLIN, 13)  # returned on the calendar's own clock


def test_a_pause_over_the_weekend_keeps_the_working_time_that_was_left():
    due = resume_due(due=at(FRIDAY, 16, 30), paused_at=at(FRIDAY, 16), resumed_at=at(MONDAY, 10), calendar=OFFICE)

    assert due == at(MONDAY, 10, 30)


def test_a_pause_that_began_after_the_breach_keeps_the_breached_due_time():
    due = resume_due(due=at(FRIDAY, 15), paused_at=at(FRIDAY, 16), resumed_at=at(MONDAY, 10), calendar=OFFICE)

    assert due == at(FRIDAY, 15)


def test_a_pause_keeps_the_seconds_of_the_due_time():
    due = at(FRIDAY, 16, 30) + timedelta(seconds=17)

    resumed = resume_due(due=due, paused_at=at(FRIDAY, 16), resumed_at=at(MONDAY, 10), calendar=OFFICE)

    assert resumed == at(MONDAY, 10, 30) + timedelta(seconds=17)


def test_a_clock_started_on_saturday_starts_on_monday_morning():
    assert add_business_minutes(at(SATURDAY, 10), 30, OFFICE) == at(MONDAY, 9, 30)


def test_zero_minutes_is_the_start_itself_inside_working_hours():
    assert add_business_minutes(at(MONDAY, 11, 15), 0, OFFICE) == at(MONDAY, 11, 15)


def test_zero_minutes_outside_working_hours_is_the_next_opening():
    assert add_business_minutes(at(FRIDAY, 17), 0, OFFICE) == at(MONDAY, 9)


def test_the_last_minutes_of_the_day_end_at_closing_time_not_the_next_morning():
    assert add_business_minutes(at(FRIDAY, 16, 30), 30, OFFICE) == at(FRIDAY, 17)


def test_the_lunch_break_does_not_count():
    assert add_business_minutes(at(MONDAY, 12), 60, LUNCH_BREAK) == at(MONDAY, 14)
    assert business_minutes_between(at(MONDAY, 9), at(MONDAY, 17), LUNCH_BREAK) == 420


def test_a_start_inside_the_lunch_break_waits_for_the_afternoon():
    assert add_business_minutes(at(MONDAY, 13), 15, LUNCH_BREAK) == at(MONDAY, 13, 45)


def test_minutes_between_skip_the_weekend():
    assert business_minutes_between(at(FRIDAY, 16), at(MONDAY, 10), OFFICE) == 120


def test_minutes_between_count_the_25_hour_autumn_dst_day():
    sunday = date(2026, 10, 25)

    assert business_minutes_between(at(sunday, 0), at(sunday + timedelta(days=1), 0), ALWAYS) == 25 * 60


def test_an_interval_starting_in_the_spring_gap_counts_only_its_real_time():
    calendar = Calendar.from_spec("Europe/Berlin", {"6": [["02:00", "04:00"]]})
    sunday = date(2026, 3, 29)  # 02:00 jumps to 03:00

    assert business_minutes_between(at(sunday, 0), at(sunday, 12), calendar) == 60


def test_minutes_between_are_zero_when_the_end_is_not_after_the_start():
    assert business_minutes_between(at(MONDAY, 10), at(MONDAY, 10), OFFICE) == 0
    assert business_minutes_between(at(MONDAY, 11), at(MONDAY, 10), OFFICE) == 0


def test_minutes_between_are_floored_to_whole_minutes():
    end = at(MONDAY, 9, 10) + timedelta(seconds=59)

    assert business_minutes_between(at(MONDAY, 9), end, OFFICE) == 10


def test_datetimes_in_another_zone_are_the_same_instants():
    istanbul_start = at(FRIDAY, 16, 30).astimezone(ISTANBUL)  # 18:30 in Istanbul

    assert add_business_minutes(istanbul_start, 60, OFFICE) == at(MONDAY, 9, 30)


def test_a_naive_datetime_is_rejected():
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime(2026, 12, 4, 16, 30), 60, OFFICE)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        business_minutes_between(at(FRIDAY, 9), datetime(2026, 12, 4, 16, 30), OFFICE)  # noqa: DTZ001


def test_negative_minutes_are_rejected():
    with pytest.raises(ValueError, match="negative"):
        add_business_minutes(at(MONDAY, 10), -1, OFFICE)


def test_a_calendar_without_working_hours_raises_instead_of_looping():
    empty = Calendar.from_spec("Europe/Berlin", {})

    with pytest.raises(ValueError, match="no working hours"):
        add_business_minutes(at(MONDAY, 10), 1, empty)


def test_adding_then_measuring_gives_back_the_minutes():
    rng = random.Random(13)
    calendars = [OFFICE, ALWAYS, LUNCH_BREAK, Calendar.weekdays(BERLIN, holidays=[MONDAY])]
    for _ in range(500):
        calendar = rng.choice(calendars)
        # Starts anywhere in 2026 (both DST changes), at any minute, working or not.
        start = at(date(2026, 1, 1) + timedelta(days=rng.randrange(365)), rng.randrange(24), rng.randrange(60))
        minutes = rng.randrange(5000)

        due = add_business_minutes(start, minutes, calendar)

        assert business_minutes_between(start, due, calendar) == minutes, (calendar, start, minutes)


def test_the_spec_round_trips_and_24_00_is_the_next_midnight():
    spec = LUNCH_BREAK.to_spec() | {"holidays": ["2026-12-25"]}
    calendar = Calendar.from_spec(**spec)

    assert calendar.to_spec() == spec
    assert spec["weekly"]["0"] == [["09:00", "12:30"], ["13:30", "17:00"]]
    assert spec["weekly"]["6"] == []
    assert Calendar.from_spec("Europe/Berlin", {str(d): [["00:00", "24:00"]] for d in range(7)}) == ALWAYS


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ({"7": []}, "Weekday keys"),
        ({"0": [["9:00"]]}, "pair"),
        ({"0": [["9h", "17:00"]]}, "HH:MM"),
        ({"0": [["09:00", "24:30"]]}, "at most 24:00"),
        ({"0": [["17:00", "09:00"]]}, "ordered"),
        ({"0": [["09:00", "13:00"], ["12:00", "17:00"]]}, "non-overlapping"),
    ],
)
def test_a_malformed_spec_is_rejected_with_a_reason(weekly, message):
    with pytest.raises(ValueError, match=message):
        Calendar.from_spec("Europe/Berlin", weekly)


def test_an_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="Unknown time zone"):
        Calendar.from_spec("Mars/Olympus", {})


@pytest.mark.parametrize(
    ("due_in", "state"),
    [
        (None, "none"),
        (timedelta(hours=2), "ok"),
        (timedelta(minutes=30), "near"),
        (timedelta(minutes=31), "ok"),
        (timedelta(0), "breached"),
        (timedelta(minutes=-5), "breached"),
    ],
)
def test_sla_state_warns_within_the_warning_window_and_breaches_at_the_due_time(due_in, state):
    now = at(MONDAY, 10)
    due = None if due_in is None else now + due_in

    assert sla.sla_state(due, now, warn_minutes=30) == state


@pytest.mark.parametrize(
    ("due_in", "text"),
    [
        (timedelta(hours=2, minutes=10, seconds=59), "2h 10m left"),
        (timedelta(minutes=45), "45m left"),
        (timedelta(days=3, hours=4, minutes=20), "3d 4h left"),
        (-timedelta(minutes=35), "breached 35m ago"),
        (-timedelta(hours=26), "breached 1d 2h ago"),
    ],
)
def test_format_remaining_counts_down_and_then_up(due_in, text):
    now = at(MONDAY, 10)

    assert sla.format_remaining(now + due_in, now) == text


def test_format_remaining_speaks_turkish():
    now = at(MONDAY, 10)

    with translation.override("tr"):
        assert sla.format_remaining(now + timedelta(hours=2, minutes=10), now) == "2 sa 10 dk kaldı"
        assert sla.format_remaining(now - timedelta(minutes=35), now) == "35 dk önce aşıldı"
