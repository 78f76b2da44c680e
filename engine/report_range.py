"""The date range of a report: whole days in the reader's time zone, both ends included.

"15th to 16th" means from the 15th at 00:00 to the 17th at 00:00 local time, so a ticket at
23:59:59 on the 16th counts and one at 00:00 on the 17th does not. Queries compare against the
half-open UTC interval [start, end).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.errors import InvalidInput

MAX_DAYS = 3 * 366  # a report spans at most three years


class InvalidRange(InvalidInput):
    """The range the reader asked for cannot be read or makes no sense (an HTTP 400)."""

    code = "invalid_range"


@dataclass(frozen=True)
class DateRange:
    first_day: date
    last_day: date
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first instant of the first day, in UTC."""
        return local_midnight(self.first_day, self.tz)

    @property
    def end(self) -> datetime:
        """The first instant after the last day, in UTC (excluded)."""
        return local_midnight(self.last_day + timedelta(days=1), self.tz)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]

    def as_dict(self) -> dict:
        return {"start": self.first_day.isoformat(), "end": self.last_day.isoformat(), "timezone": self.tz.key}


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def zone(name: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or default)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidRange(f"unknown time zone {name!r}; use an IANA name such as Asia/Shanghai",
                           [{"field": "tz", "message": "unknown time zone"}]) from err


def parse(start: str | None, end: str | None, tz: ZoneInfo, today: date) -> DateRange:
    """The range from two ISO dates (YYYY-MM-DD); a missing start means the first of end's month,
    a missing end means today."""
    last = _day("end", end) if end else today
    first = _day("start", start) if start else last.replace(day=1)
    if last < first:
        raise InvalidRange(f"the end day {last} is before the start day {first}",
                           [{"field": "end", "message": "before start"}])
    if (last - first).days >= MAX_DAYS:
        raise InvalidRange(f"a report spans at most {MAX_DAYS} days",
                           [{"field": "end", "message": "range too long"}])
    return DateRange(first, last, tz)


def _day(field: str, raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as err:
        raise InvalidRange(f"{field} must be a day written YYYY-MM-DD, not {raw!r}",
                           [{"field": field, "message": "not a date"}]) from err
