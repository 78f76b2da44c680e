"""What an admin changes without a programmer: SLA policies and business calendars."""

from datetime import date

from sqlalchemy import select

from engine import calendars, config_cache
from engine.db import db
from engine.diagrams import ISO_DURATION
from engine.directory import permissions
from engine.errors import InvalidInput, NotFound
from engine.models import CHANNELS, PRIORITIES, TIERS, CalendarDay, CalendarRecord, SlaPolicy, User
from engine.sandbox import bounds

POLICY_FIELDS = {
    "name": str, "process_key": str, "element_id": str, "channel": str, "priority": str, "fault_level": int,
    "customer_tier": str, "response": str, "resolution": str, "warn_percent": int, "calendar": str,
    "escalate_to": str, "active": bool,
}
CALENDAR_TABLES = frozenset({"business_calendars", "calendar_days"})
CHOICES = {"channel": tuple(CHANNELS), "priority": PRIORITIES, "customer_tier": TIERS}


def policies() -> list[SlaPolicy]:
    return list(db.session.scalars(select(SlaPolicy).order_by(SlaPolicy.id)))


def save_policy(actor: User, data: dict, policy_id: int | None = None) -> SlaPolicy:
    """Create or change a policy; every wrong field is named and nothing is saved."""
    permissions.require(actor, "configure")
    policy = SlaPolicy(name="") if policy_id is None else db.session.get(SlaPolicy, policy_id)
    if policy is None:
        raise NotFound(f"no SLA policy {policy_id}")
    problems = _policy_problems(data, creating=policy_id is None)
    if problems:
        db.session.rollback()
        raise InvalidInput(f"wrong policy fields: {', '.join(p['field'] for p in problems)}", problems)
    for field, value in data.items():
        setattr(policy, field, value)
    db.session.add(policy)
    db.session.commit()
    return policy


def _policy_problems(data: dict, creating: bool) -> list[dict]:
    problems = [{"field": f, "message": "unknown field"} for f in data if f not in POLICY_FIELDS]
    for field, value in data.items():
        kind = POLICY_FIELDS.get(field)
        if kind is None or value is None:
            continue
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            problems.append({"field": field, "message": f"must be {kind.__name__}"})
        elif field in CHOICES and value not in CHOICES[field]:
            problems.append({"field": field, "message": f"one of {', '.join(CHOICES[field])}"})
        elif field in ("response", "resolution") and not ISO_DURATION.match(value):
            problems.append({"field": field, "message": "an ISO 8601 duration such as PT4H"})
        elif field in ("response", "resolution") and (refusal := bounds.duration_problem(value)):
            problems.append({"field": field, "message": refusal[0], "message_zh": refusal[1]})
        elif field == "warn_percent" and not 1 <= value <= 99:
            problems.append({"field": field, "message": "from 1 to 99"})
    if creating and not str(data.get("name") or "").strip():
        problems.append({"field": "name", "message": "required"})
    return problems


def calendar_records() -> list[CalendarRecord]:
    return list(db.session.scalars(select(CalendarRecord).order_by(CalendarRecord.name)))


def save_calendar(actor: User, name: str, data: dict) -> CalendarRecord:
    """Create or replace a calendar's time zone, weekly hours and use of China's holidays."""
    permissions.require(actor, "configure")
    if name == calendars.ALWAYS.name:
        raise InvalidInput("24x7 is built in: every moment counts; give your calendar another name",
                           [{"field": "name", "message": "reserved"}])
    try:
        calendars.BusinessCalendar(name=name, timezone=data.get("timezone", "Asia/Shanghai"),
                                   hours=calendars.parse_hours(data.get("hours", {})))
    except (ValueError, KeyError, TypeError) as err:
        raise InvalidInput(f"wrong calendar: {err}", [{"field": "hours", "message": str(err)}]) from err
    record = db.session.scalar(select(CalendarRecord).where(CalendarRecord.name == name)) or CalendarRecord(name=name)
    record.timezone = data.get("timezone", "Asia/Shanghai")
    record.hours = data.get("hours", {})
    record.china_holidays = bool(data.get("china_holidays", True))
    db.session.add(record)
    db.session.commit()
    return record


def add_day(actor: User, name: str, day: str, kind: str, note: str = "") -> CalendarDay:
    """An admin enters a holiday or a make-up working day (for instance the State Council's schedule)."""
    permissions.require(actor, "configure")
    record = db.session.scalar(select(CalendarRecord).where(CalendarRecord.name == name))
    if record is None:
        raise NotFound(f"no calendar {name!r}")
    problems = []
    try:
        parsed = date.fromisoformat(day)
    except (TypeError, ValueError):
        problems.append({"field": "day", "message": "a date such as 2027-01-01"})
    if kind not in ("holiday", "workday"):
        problems.append({"field": "kind", "message": "holiday or workday"})
    if problems:
        raise InvalidInput(f"wrong day fields: {', '.join(p['field'] for p in problems)}", problems)
    entry = db.session.scalar(select(CalendarDay).where(CalendarDay.calendar_id == record.id,
                                                        CalendarDay.day == parsed))
    entry = entry or CalendarDay(calendar=record, day=parsed)
    entry.kind, entry.note = kind, note or ""
    db.session.add(entry)
    db.session.commit()
    return entry


def calendar_named(name: str) -> calendars.BusinessCalendar:
    """A calendar by name: an admin's record, else a built-in; an unknown name counts 24x7.

    24x7 is built in and cannot be redefined, so the commonest case needs no query.
    """
    if name == calendars.ALWAYS.name:
        return calendars.ALWAYS
    return config_cache.cached(("calendar", name), CALENDAR_TABLES, lambda: _read_calendar(name))


def _read_calendar(name: str) -> calendars.BusinessCalendar:
    record = db.session.scalar(select(CalendarRecord).where(CalendarRecord.name == name))
    if record is not None:
        return calendars.BusinessCalendar(
            name=record.name, timezone=record.timezone, hours=calendars.parse_hours(record.hours),
            china_holidays=record.china_holidays,
            holidays=frozenset(d.day for d in record.days if d.kind == "holiday"),
            workdays=frozenset(d.day for d in record.days if d.kind == "workday"))
    return {c.name: c for c in (calendars.ALWAYS, calendars.OFFICE_HOURS)}.get(name, calendars.ALWAYS)
