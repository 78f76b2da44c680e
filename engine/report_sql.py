"""SQL that PostgreSQL and SQLite spell differently (durations, local days and weeks), and percentiles.

Every figure stays in the database. Local days follow the reader's time zone: the UTC offsets in force
over the report's range (daylight-saving changes included) are looked up here and written into the
query, for PostgreSQL's date_bin and SQLite's date() alike.
"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.sql import ColumnElement

from engine.db import db


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def seconds(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """Whole seconds from start to end."""
    if postgres():
        return cast(func.round(extract("epoch", end - start)), Integer)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)


def local_day(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime) -> ColumnElement:
    """The local day of a UTC timestamp that lies in [start, end), to group by; day_of() reads it."""
    return _local_bin(column, tz, start, end, weeks=False)


def local_week(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime) -> ColumnElement:
    """The Monday of the local week of a UTC timestamp that lies in [start, end), read as local_day's days."""
    return _local_bin(column, tz, start, end, weeks=True)


def day_of(value) -> str:
    """'YYYY-MM-DD' of a local_day or local_week: SQLite's date text, or PostgreSQL's midnight UTC of that day."""
    return value.astimezone(UTC).date().isoformat() if isinstance(value, datetime) else value


MONDAY = datetime(2000, 1, 3, tzinfo=UTC)  # the origin of PostgreSQL's day and week bins


def _local_bin(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime, weeks: bool) -> ColumnElement:
    """Shift UTC by the zone's offset, then take the day (or week) of that, switching offset where the zone
    did within the range. PostgreSQL bins with date_bin, three times cheaper than converting each row to
    the zone by name; SQLite's date() takes the shift as a modifier."""
    changes = offset_changes(tz, start, end)
    bins = []
    for _, offset in changes:
        shift = timedelta(seconds=offset)
        if postgres():
            width = timedelta(days=7 if weeks else 1)
            bins.append(func.date_bin(width, column, MONDAY - shift) + shift)
        else:
            bins.append(func.date(column, f"{offset:+d} seconds", *(("weekday 0", "-6 days") if weeks else ())))
    if len(bins) == 1:
        return bins[0]
    return case(*[(column < at, b) for (at, _), b in zip(changes[1:], bins, strict=False)], else_=bins[-1])


def offset_changes(tz: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from when, UTC offset in seconds)] over [start, end): the first entry is start's offset."""
    def offset(at: datetime) -> int:
        return int(at.astimezone(tz).utcoffset().total_seconds())

    changes, at = [(start, offset(start))], start
    while at < end:
        step = min(at + timedelta(days=1), end)
        if offset(step) != changes[-1][1]:
            low, high = at, step  # the change lies in (low, high]: narrow it to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (low, middle) if offset(middle) != changes[-1][1] else (middle, high)
            changes.append((high.replace(microsecond=0), offset(high)))
        at = step
    return changes


def percentile(column: ColumnElement, where: list[ColumnElement], count: int, fraction: float) -> float:
    """The continuous percentile (percentile_cont) of ``column`` over the ``count`` rows matching ``where``.

    It lies between the values at ranks floor(p) and floor(p) + 1, p = fraction * (count - 1). Both are read
    with one ORDER BY ... OFFSET, which walks an index on the group and the column in order instead of
    sorting the group, the same way on PostgreSQL and SQLite; from the nearer end, so the 90th percentile
    walks a tenth of the group, not nine tenths.
    """
    position = fraction * (count - 1)
    low_rank = int(position)  # positions are never negative: int() is floor()
    high_rank = min(low_rank + 1, count - 1)
    query = select(column).where(*where).limit(high_rank - low_rank + 1)
    if low_rank <= count - 1 - high_rank:
        values = db.session.scalars(query.order_by(column).offset(low_rank)).all()
    else:
        values = db.session.scalars(query.order_by(column.desc()).offset(count - 1 - high_rank)).all()[::-1]
    low, high = values[0], values[-1]
    return low + (position - low_rank) * (high - low)
