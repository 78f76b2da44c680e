"""Business time for SLA clocks: which moments count as working time, and where a target lands.

A calendar is plain data: weekly working hours in local wall-clock time, China's public holidays and
make-up working days (调休) from the ``chinesecalendar`` package, and the days an admin entered. For a
day, an admin holiday wins over an admin workday, which wins over the library, which wins over the
weekday rule (the ``hours`` entry of its weekday).

``chinesecalendar`` 1.11 knows 2004–2026 only and raises for other years. The State Council publishes
each year's schedule late in the previous year, so an SLA clock must keep running on the weekday
rule plus the admin days for a year the library does not know; ``missing_years`` tells admins which
schedules to enter.

All arithmetic is done on UTC instants: each local working interval is turned into a pair of
instants, so a DST change shortens or lengthens the working time it falls in. A wall time inside a
DST gap is read as Python does by default (fold=0: after the gap). An interval that ends at 00:00
ends at midnight after its day, so ``(time(0), time(0))`` is a whole day.

A zero duration is "due immediately": ``add`` returns ``start`` itself (in UTC) even outside hours.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

Intervals = tuple[tuple[time, time], ...]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 3660  # add() gives up after ten years: a target that far out is a configuration error
_MIDNIGHT = time(0)
_ONE_DAY = timedelta(days=1)
_WHOLE_DAY: Intervals = ((_MIDNIGHT, _MIDNIGHT),)
_OFFICE_DAY: Intervals = ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class BusinessCalendar:
    """Working hours per weekday plus holidays; see the module docstring for the rules."""

    name: str
    timezone: str = "Asia/Shanghai"
    hours: dict[int, Intervals] = field(default_factory=lambda: dict.fromkeys(range(5), _OFFICE_DAY), hash=False)
    china_holidays: bool = True
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0

    def __post_init__(self) -> None:
        """Validate and normalise once, so that the arithmetic can trust its data."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"calendar {self.name}: unknown time zone {self.timezone!r}") from err
        if self.makeup_weekday not in range(7):
            raise ValueError(f"calendar {self.name}: makeup_weekday must be 0 (Monday) to 6 (Sunday)")
        hours = {}
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"calendar {self.name}: weekday {weekday!r} is not 0 (Monday) to 6 (Sunday)")
            if intervals:
                hours[weekday] = _checked(weekday, tuple(map(tuple, intervals)))
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "workdays", frozenset(self.workdays))

    def is_working_day(self, day: date) -> bool:
        """Whether any working time falls on this local day."""
        return bool(self._hours_on(day))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The UTC instant at which `duration` of working time has passed after `start`."""
        start = _utc(start, "start")
        if duration < timedelta(0):
            raise ValueError(f"calendar {self.name}: negative duration {duration}")
        if not duration or self._is_always():
            return start + duration
        if not self.hours:
            raise ValueError(f"calendar {self.name} has no working time")
        left = duration
        for begin, end in self._spans(start):
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise ValueError(f"calendar {self.name}: {duration} of working time does not fit in {SEARCH_DAYS} days")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time between two instants; zero if `end` is not after `start`."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return timedelta(0)
        if self._is_always():
            return end - start
        return sum((finish - begin for begin, finish in self._spans(start, end)), timedelta(0))

    def missing_years(self, years: Iterable[int]) -> list[int]:
        """Years whose holiday schedule an admin must enter: unknown to the library and no admin days yet.

        A calendar that does not follow China's holidays needs no schedule, so it never misses a year.
        """
        if not self.china_holidays:
            return []
        entered = {day.year for day in self.holidays | self.workdays}
        return sorted({year for year in years if not _library_knows(year) and year not in entered})

    def _is_always(self) -> bool:
        """Every moment counts, so plain arithmetic gives the answer without walking days."""
        return not self.china_holidays and not self.holidays and all(self.hours.get(d) == _WHOLE_DAY for d in range(7))

    def _hours_on(self, day: date) -> Intervals:
        """The working intervals of one local day, by the precedence in the module docstring."""
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.hours.get(self.makeup_weekday, ())
        status = _library_day(day) if self.china_holidays else None
        if status == "holiday":
            return ()
        if status == "workday":
            return self.hours.get(self.makeup_weekday, ())
        return self.hours.get(day.weekday(), ())

    def _spans(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """Working spans as UTC instants from `start` to `end` (or the search bound), in order, clipped.

        Each span begins no earlier than the previous one ended, so that nothing is counted twice even
        where a DST gap maps two local intervals onto overlapping instants.
        """
        zone = ZoneInfo(self.timezone)
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date() if end is not None else day + timedelta(days=SEARCH_DAYS)
        floor = start
        while day <= last:
            for opens, closes in self._hours_on(day):
                begin = max(_instant(day, opens, zone), floor)
                finish = _instant(day + _ONE_DAY if closes == _MIDNIGHT else day, closes, zone)
                if end is not None:
                    finish = min(finish, end)
                if finish > begin:
                    yield begin, finish
                    floor = finish
            day += _ONE_DAY


def parse_hours(spec: dict[str, list[str]]) -> dict[int, Intervals]:
    """Working hours from plain JSON such as ``{"mon": ["08:30-12:00", "13:30-17:30"]}``.

    Day names are mon..sun; a day left out or given an empty list is not worked; "24:00" (or "00:00")
    as an end means midnight. Raises ValueError naming the bad entry.
    """
    if not isinstance(spec, dict):
        raise ValueError(f"hours must be an object of day names to interval lists, not {spec!r}")
    hours = {}
    for name, entries in spec.items():
        if name not in DAY_NAMES:
            raise ValueError(f"unknown day {name!r} in hours: use {', '.join(DAY_NAMES)}")
        if not isinstance(entries, list | tuple):
            raise ValueError(f"hours for {name}: expected a list of 'HH:MM-HH:MM' strings, not {entries!r}")
        weekday = DAY_NAMES.index(name)
        if entries:
            hours[weekday] = _checked(weekday, tuple(_parse_interval(name, entry) for entry in entries))
    return hours


def _parse_interval(day_name: str, entry: object) -> tuple[time, time]:
    """One "HH:MM-HH:MM" entry; only an end may be 24:00."""
    match = _INTERVAL.fullmatch(entry.replace(" ", "")) if isinstance(entry, str) else None
    if match:
        h1, m1, h2, m2 = map(int, match.groups())
        if h1 < 24 and m1 < 60 and m2 < 60 and (h2 < 24 or (h2, m2) == (24, 0)):
            return time(h1, m1), time(h2 % 24, m2)
    raise ValueError(f"hours for {day_name}: bad interval {entry!r}, expected 'HH:MM-HH:MM'")


def _checked(weekday: int, intervals: Intervals) -> Intervals:
    """Intervals must be non-empty, ordered and disjoint, so that no working time is counted twice."""
    previous_end = timedelta(0)
    for opens, closes in intervals:
        begin, end = _since_midnight(opens), _since_midnight(closes) or timedelta(days=1)
        if begin < previous_end or end <= begin:
            raise ValueError(
                f"hours for {DAY_NAMES[weekday]}: {opens:%H:%M}-{closes:%H:%M} is empty, reversed or overlaps "
                "the interval before it"
            )
        previous_end = end
    return intervals


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second, microseconds=clock.microsecond)


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time."""
    return datetime.combine(day, clock, zone).astimezone(UTC)


def _utc(moment: datetime, what: str) -> datetime:
    """Aware datetimes only: a naive one has no defined instant, and guessing its zone hides bugs."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, not naive {moment.isoformat()}")
    return moment.astimezone(UTC)


@cache
def _library_knows(year: int) -> bool:
    """Whether chinesecalendar has the State Council's schedule for this year."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=16384)
def _library_day(day: date) -> Literal["holiday", "workday"] | None:
    """What chinesecalendar says of a day that is not ordinary: a public holiday or a make-up working day.

    None means the weekday rule applies: an ordinary day, or a year the library does not know.
    """
    if not _library_knows(day.year):
        return None
    if day in chinese_calendar.holidays:
        return "holiday"
    if day in chinese_calendar.workdays:
        return "workday"
    return None


ALWAYS = BusinessCalendar(name="24x7", hours=dict.fromkeys(range(7), _WHOLE_DAY), china_holidays=False)
OFFICE_HOURS = BusinessCalendar(name="office", hours=dict.fromkeys(range(5), _OFFICE_DAY))
