"""SQL that PostgreSQL and SQLite spell differently: durations, local days and weeks, percentiles.

Every figure stays in the database. Local days follow the reader's time zone: PostgreSQL converts
with its own zone database; SQLite has none, so the UTC offsets in force over the report's range
(daylight-saving changes included) are looked up here and written into the query.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.sql import ColumnElement, Select

from engine.db import db


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def seconds(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """Whole seconds from start to end."""
    if postgres():
        return cast(func.round(extract("epoch", end - start)), Integer)
    return cast(func.round((func.julianday(end) - func.julianday(start)) * 86400), Integer)


def local_day(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime) -> ColumnElement:
    """The local day ('YYYY-MM-DD') of a UTC timestamp that lies in [start, end)."""
    if postgres():
        return func.to_char(func.timezone(tz.key, column), "YYYY-MM-DD")
    return func.date(column, _sqlite_shift(column, tz, start, end))


def local_week(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime) -> ColumnElement:
    """The Monday ('YYYY-MM-DD') of the local week of a UTC timestamp that lies in [start, end)."""
    if postgres():
        return func.to_char(func.date_trunc("week", func.timezone(tz.key, column)), "YYYY-MM-DD")
    return func.date(column, _sqlite_shift(column, tz, start, end), "weekday 0", "-6 days")


def _sqlite_shift(column: ColumnElement, tz: ZoneInfo, start: datetime, end: datetime) -> ColumnElement | str:
    """A date() modifier moving UTC to local time, switching offset where the zone did within the range."""
    changes = offset_changes(tz, start, end)
    modifiers = [f"{offset:+d} seconds" for _, offset in changes]
    if len(changes) == 1:
        return modifiers[0]
    return case(*[(column < at, modifier) for (at, _), modifier in zip(changes[1:], modifiers, strict=False)],
                else_=modifiers[-1])


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


def percentiles(base: Select, groups: list[str], value: str, fractions: tuple[float, ...]) -> Select:
    """Per group of ``base``'s columns ``groups``: the row count and the continuous percentiles of ``value``.

    PostgreSQL has percentile_cont. SQLite has none, so the same interpolation is done with window
    functions: rank the values in each group, then take the two ranks around fraction * (n - 1).
    """
    rows = base.subquery()
    keys = [rows.c[g] for g in groups]
    if postgres():
        figures = [func.percentile_cont(f).within_group(rows.c[value]) for f in fractions]
        return select(*keys, func.count(), *figures).group_by(*keys)
    ranked = select(*keys, rows.c[value].label("v"),
                    (func.row_number().over(partition_by=keys, order_by=rows.c[value]) - 1).label("i"),
                    func.count().over(partition_by=keys).label("n")).subquery()
    figures = []
    for fraction in fractions:
        position = (ranked.c.n - 1) * fraction
        low_rank = cast(position, Integer)  # positions are never negative: the cast is floor()
        low = func.max(case((ranked.c.i == low_rank, ranked.c.v)))
        high = func.coalesce(func.max(case((ranked.c.i == low_rank + 1, ranked.c.v))), low)
        figures.append(low + func.max(position - low_rank) * (high - low))
    same_keys = [ranked.c[g] for g in groups]
    return select(*same_keys, func.count(), *figures).group_by(*same_keys)
