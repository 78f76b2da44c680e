"""Business time: office hours, China's holidays and make-up days, years the library does not know, DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from engine.calendars import ALWAYS, OFFICE_HOURS, BusinessCalendar, parse_hours

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def sh(text: str) -> datetime:
    """A Shanghai wall-clock time, e.g. sh("2026-06-12 17:00")."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def days(*texts: str) -> frozenset[date]:
    return frozenset(date.fromisoformat(text) for text in texts)


def test_2026_dates_used_below_match_the_library():
    holidays = ["2026-09-25", "2026-09-27", "2026-10-01", "2026-10-05", "2026-10-07"]
    makeup_days = ["2026-09-20", "2026-10-10"]  # a Sunday and a Saturday
    assert not any(chinese_calendar.is_workday(date.fromisoformat(day)) for day in holidays)
    assert all(chinese_calendar.is_workday(date.fromisoformat(day)) for day in makeup_days)
    assert [date.fromisoformat(day).weekday() for day in makeup_days] == [6, 5]
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 4))


# --- 24x7 -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        (sh("2026-10-01 03:00"), 5 * H, sh("2026-10-01 08:00")),  # a public holiday counts too
        (sh("2026-06-13 23:00"), timedelta(days=400), sh("2027-07-18 23:00")),
        (berlin("2026-03-28 12:00"), 24 * H, berlin("2026-03-29 13:00")),  # real hours across the DST change
    ],
)
def test_always_is_plain_arithmetic(start, duration, expected):
    result = ALWAYS.add(start, duration)
    assert result == expected and result.tzinfo is UTC
    assert ALWAYS.between(start, expected) == duration
    assert ALWAYS.between(expected, start) == timedelta(0)


def test_whole_day_calendar_in_a_dst_zone_matches_plain_arithmetic():
    """Not the fast path (it has a holiday), so the day walk must chain local days without losing the DST hour."""
    cal = BusinessCalendar(
        "berlin-24x7",
        "Europe/Berlin",
        parse_hours({d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
        china_holidays=False,
        holidays=days("2030-01-01"),
    )
    start = berlin("2026-10-24 12:00")
    assert cal.add(start, 48 * H) == start.astimezone(UTC) + 48 * H == berlin("2026-10-26 11:00")
    assert cal.between(berlin("2026-10-25 00:00"), berlin("2026-10-26 00:00")) == 25 * H


# --- office hours (ordinary June 2026 week: Mon 8th .. Fri 12th) -------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-06-08 09:00", 2 * H, "2026-06-08 11:00"),  # within a morning
        ("2026-06-08 08:30", 7.5 * H, "2026-06-08 17:30"),  # a whole day ends at closing, not next morning
        ("2026-06-08 11:00", 2 * H, "2026-06-08 14:30"),  # across lunch
        ("2026-06-08 12:00", timedelta(minutes=1), "2026-06-08 13:31"),
        ("2026-06-08 17:00", 1 * H, "2026-06-09 09:00"),  # across the evening
        ("2026-06-12 17:00", 4 * H, "2026-06-15 12:00"),  # across the weekend
        ("2026-06-08 07:00", 1 * H, "2026-06-08 09:30"),  # before opening
        ("2026-06-08 12:30", 1 * H, "2026-06-08 14:30"),  # during lunch
        ("2026-06-13 10:00", 1 * H, "2026-06-15 09:30"),  # on a Saturday
        ("2026-06-08 08:30", 5 * 7.5 * H, "2026-06-12 17:30"),  # a working week
    ],
)
def test_office_hours_add(start, duration, expected):
    result = OFFICE_HOURS.add(sh(start), duration)
    assert result == sh(expected) and result.tzinfo is UTC


def test_zero_duration_is_due_immediately_even_outside_hours():
    saturday = sh("2026-06-13 10:00")
    assert OFFICE_HOURS.add(saturday, timedelta(0)) == saturday


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-06-08 07:00", "2026-06-08 18:00", 7.5 * H),
        ("2026-06-08 12:10", "2026-06-08 13:20", timedelta(0)),  # inside lunch
        ("2026-06-12 17:00", "2026-06-15 12:00", 4 * H),
        ("2026-06-08 10:00", "2026-06-08 09:00", timedelta(0)),  # end before start
    ],
)
def test_office_hours_between(start, end, expected):
    assert OFFICE_HOURS.between(sh(start), sh(end)) == expected


def test_between_converts_zones_before_subtracting():
    """Same tzinfo on both sides would make Python subtract wall clocks; the instants must be compared."""
    assert OFFICE_HOURS.between(sh("2026-06-08 09:00"), datetime(2026, 6, 8, 2, tzinfo=UTC)) == 1 * H


# --- China 2026 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        ("2026-09-30 17:00", 1 * H, "2026-10-08 09:00"),  # National Day, 1st-7th October
        ("2026-09-24 17:00", 4 * H, "2026-09-28 12:00"),  # Mid-Autumn, Fri 25th-Sun 27th September
        ("2026-10-09 17:00", 1 * H, "2026-10-10 09:00"),  # make-up Saturday
        ("2026-09-18 17:00", 1 * H, "2026-09-20 09:00"),  # make-up Sunday
    ],
)
def test_china_holidays_2026(start, duration, expected):
    assert OFFICE_HOURS.add(sh(start), duration) == sh(expected)


def test_china_working_days_2026():
    assert not OFFICE_HOURS.is_working_day(date(2026, 10, 5))  # a Monday inside National Day
    assert OFFICE_HOURS.is_working_day(date(2026, 10, 10))  # make-up Saturday
    assert OFFICE_HOURS.is_working_day(date(2026, 9, 20))  # make-up Sunday
    assert not OFFICE_HOURS.is_working_day(date(2026, 10, 11))  # the Sunday after stays off
    unchinese = BusinessCalendar("plain", china_holidays=False)
    assert unchinese.is_working_day(date(2026, 10, 5)) and not unchinese.is_working_day(date(2026, 10, 10))


def test_makeup_day_uses_the_makeup_weekday_hours():
    cal = BusinessCalendar("fri-short", hours={0: ((time(9), time(17)),), 4: ((time(9), time(12)),)}, makeup_weekday=4)
    assert cal.between(sh("2026-10-10 00:00"), sh("2026-10-11 00:00")) == 3 * H


# --- years the library does not know ------------------------------------------------------------------


def test_2027_falls_back_to_the_weekday_rule():
    assert OFFICE_HOURS.is_working_day(date(2027, 1, 1))  # a Friday; the library cannot say it is New Year
    assert not OFFICE_HOURS.is_working_day(date(2027, 1, 2))
    assert OFFICE_HOURS.add(sh("2026-12-31 17:00"), 1 * H) == sh("2027-01-01 09:00")
    assert OFFICE_HOURS.between(sh("2027-01-01 00:00"), sh("2027-01-05 00:00")) == 15 * H
    assert OFFICE_HOURS.missing_years([2026, 2027]) == [2027]
    assert OFFICE_HOURS.missing_years([2027, 2003, 2026, 2027]) == [2003, 2027]


def test_admin_days_cover_a_missing_year():
    cal = BusinessCalendar("office-2027", holidays=days("2027-01-01"))
    assert not cal.is_working_day(date(2027, 1, 1))
    assert cal.add(sh("2026-12-31 17:00"), 1 * H) == sh("2027-01-04 09:00")
    assert cal.missing_years([2026, 2027, 2028]) == [2028]
    assert BusinessCalendar("w", workdays=days("2027-02-20")).missing_years([2027]) == []


def test_a_calendar_without_china_holidays_misses_no_year():
    assert ALWAYS.missing_years([2027]) == []
    assert BusinessCalendar("plain", china_holidays=False).missing_years([2027]) == []


# --- admin days over the library -------------------------------------------------------------------------


def test_admin_holiday_beats_a_library_makeup_day():
    cal = BusinessCalendar("c", holidays=days("2026-10-10"))
    assert not cal.is_working_day(date(2026, 10, 10))
    assert cal.add(sh("2026-10-09 17:00"), 1 * H) == sh("2026-10-12 09:00")


def test_admin_workday_beats_a_library_holiday():
    cal = BusinessCalendar("c", workdays=days("2026-10-05"))
    assert cal.is_working_day(date(2026, 10, 5))
    assert cal.add(sh("2026-09-30 17:00"), 1 * H) == sh("2026-10-05 09:00")


def test_admin_holiday_beats_admin_workday_on_the_same_day():
    cal = BusinessCalendar("c", holidays=days("2026-06-13"), workdays=days("2026-06-13", "2026-06-14"))
    assert not cal.is_working_day(date(2026, 6, 13))
    assert cal.is_working_day(date(2026, 6, 14))


# --- between is the inverse of add ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cal", "start", "duration"),
    [
        (OFFICE_HOURS, "2026-06-08 10:15", 3 * H),
        (OFFICE_HOURS, "2026-06-13 22:00", 9 * H),  # starts outside hours
        (OFFICE_HOURS, "2026-09-24 16:00", 30 * H),  # across Mid-Autumn and National Day
        (OFFICE_HOURS, "2026-11-02 09:00", 2000 * H),  # a year and more, into 2027
        (BusinessCalendar("c", holidays=days("2027-01-01")), "2026-12-30 12:00", 12 * H),
        (ALWAYS, "2026-06-08 10:15", 1000 * H),
    ],
)
def test_between_inverts_add(cal, start, duration):
    assert cal.between(sh(start), cal.add(sh(start), duration)) == duration


# --- DST zones -------------------------------------------------------------------------------------------


def test_intervals_are_local_time_in_a_dst_zone():
    cal = BusinessCalendar("berlin", "Europe/Berlin", china_holidays=False)
    assert cal.add(berlin("2026-03-27 17:00"), 1 * H) == berlin("2026-03-30 09:00")  # Monday is CEST
    assert cal.add(berlin("2026-03-27 17:00"), 1 * H) == datetime(2026, 3, 30, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sunday", "expected"),
    [("2026-03-29", 2 * H), ("2026-10-25", 4 * H), ("2026-06-14", 3 * H)],  # spring forward, fall back, neither
)
def test_a_night_shift_across_a_dst_change_counts_real_hours(sunday, expected):
    cal = BusinessCalendar("night", "Europe/Berlin", hours={6: ((time(1), time(4)),)}, china_holidays=False)
    assert cal.between(berlin(f"{sunday} 00:00"), berlin(f"{sunday} 12:00")) == expected


# --- bad input -------------------------------------------------------------------------------------------


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        OFFICE_HOURS.add(datetime(2026, 6, 8, 9), H)
    with pytest.raises(ValueError, match="end must be an aware datetime"):
        OFFICE_HOURS.between(sh("2026-06-08 09:00"), datetime(2026, 6, 8, 10))
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        ALWAYS.add(datetime(2026, 6, 8, 9), H)


def test_calendar_without_working_time():
    with pytest.raises(ValueError, match="calendar never has no working time"):
        BusinessCalendar("never", hours={}).add(sh("2026-06-08 09:00"), H)


def test_search_is_bounded():
    mondays = BusinessCalendar("mondays", hours={0: ((time(9), time(10)),)}, china_holidays=False)
    with pytest.raises(ValueError, match="does not fit in 3660 days"):
        mondays.add(sh("2026-06-08 09:00"), 600 * H)


def test_negative_duration_is_refused():
    with pytest.raises(ValueError, match="negative duration"):
        OFFICE_HOURS.add(sh("2026-06-08 09:00"), -H)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"makeup_weekday": 7}, "makeup_weekday must be"),
        ({"hours": {7: ((time(9), time(10)),)}}, "weekday 7 is not"),
        ({"hours": {0: ((time(9), time(12)), (time(11), time(13)))}}, "hours for mon: 11:00-13:00 is empty, reversed"),
        ({"hours": {0: ((time(12), time(9)),)}}, "hours for mon: 12:00-09:00"),
    ],
)
def test_bad_calendars_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar("bad", **kwargs)


def test_parse_hours():
    assert parse_hours(
        {"mon": ["08:30-12:00", " 13:30 - 17:30 "], "sat": ["9:00-12:00"], "sun": [], "fri": ["22:00-24:00"]}
    ) == {
        0: ((time(8, 30), time(12)), (time(13, 30), time(17, 30))),
        5: ((time(9), time(12)),),
        4: ((time(22), time(0)),),
    }
    assert (
        BusinessCalendar(
            "parsed", hours=parse_hours({"mon": ["08:30-12:00", "13:30-17:30"]}), china_holidays=False
        ).between(sh("2026-06-08 00:00"), sh("2026-06-09 00:00"))
        == 7.5 * H
    )


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"monday": ["08:30-12:00"]}, "unknown day 'monday'"),
        ({"mon": "08:30-12:00"}, "hours for mon: expected a list"),
        ({"tue": ["08:30-12"]}, "hours for tue: bad interval '08:30-12'"),
        ({"tue": ["25:00-26:00"]}, "bad interval '25:00-26:00'"),
        ({"tue": ["24:00-24:00"]}, "bad interval '24:00-24:00'"),
        ({"tue": ["08:60-09:00"]}, "bad interval '08:60-09:00'"),
        ({"tue": [830]}, "bad interval 830"),
        ({"wed": ["12:00-08:30"]}, "hours for wed: 12:00-08:30 is empty, reversed"),
        ({"wed": ["08:00-12:00", "11:00-13:00"]}, "hours for wed: 11:00-13:00 .* overlaps"),
        (["mon"], "hours must be an object"),
    ],
)
def test_parse_hours_refuses_bad_entries(spec, message):
    with pytest.raises(ValueError, match=message):
        parse_hours(spec)
