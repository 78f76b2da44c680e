"""Periodic processes: SpiffWorkflow never starts a process by itself, so KeyDesk keeps one schedule row per timer
start event of each deployed process (planned at deploy) and the scheduler's sweep starts a ticket from it when it
falls due (``engine.scheduler.start_due_schedule``).

A due row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL inside the step that starts the ticket
and moves ``next_due`` on: of any number of workers exactly one starts each occurrence, and a worker that dies
mid-step releases the row with its connection. Occurrences missed while no scheduler ran are not made up for:
one ticket starts and the schedule moves on to the next occurrence still ahead.
"""

import ast
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import func, select

from engine import clock, diagrams
from engine.db import db
from engine.diagrams import NS, Problem
from engine.models import ProcessSchedule, ProcessVersion

TIMER_KINDS = ("timeCycle", "timeDate", "timeDuration")


class TimerValueError(ValueError):
    """A timer start event's value is not a literal ISO 8601 date, duration or repeating interval."""


def timer_starts(process: etree._Element) -> dict[str, str]:
    """The process's timer start events: element id -> the ISO 8601 value (quotes removed)."""
    found = {}
    for event in process.iterfind("bpmn:startEvent", NS):
        for kind in TIMER_KINDS:
            node = event.find(f"bpmn:timerEventDefinition/bpmn:{kind}", NS)
            if node is not None:
                found[event.get("id")] = _literal((node.text or "").strip())
    return found


def problems(root: etree._Element) -> list[Problem]:
    """Timer start events the scheduler could not plan: their value must be a literal, not an expression."""
    found = []
    for process in diagrams.executable_processes(root):
        for event in process.iterfind("bpmn:startEvent", NS):
            for node in event.iterfind("bpmn:timerEventDefinition/*", NS):
                try:
                    occurrences(_literal((node.text or "").strip()), clock.now())
                except TimerValueError as err:
                    found.append(diagrams.problem("timer_start", event.get("id"), node.sourceline, detail=str(err),
                                                  value=repr((node.text or "").strip())))
    return found


def plan(version: ProcessVersion) -> list[ProcessSchedule]:
    """At deploy: point the process's schedules at the new version; a timer that changed counts again from now,
    a start event the version no longer has is switched off. Runs in the deploy's transaction."""
    root = diagrams.read_xml(version.bpmn_xml)
    process = next(p for p in diagrams.executable_processes(root) if p.get("id") == version.model.key)
    starts = timer_starts(process)
    rows = {row.element_id: row for row in db.session.scalars(
        select(ProcessSchedule).where(ProcessSchedule.model_id == version.model.id))} if version.model.id else {}
    for element_id, row in rows.items():
        if element_id not in starts:
            row.active, row.next_due, row.version, row.updated_at = False, None, version, clock.now()
    planned = []
    for element_id, timer in starts.items():
        row = rows.get(element_id)
        if row is None:
            row = ProcessSchedule(model=version.model, element_id=element_id)
            db.session.add(row)
        if row.timer != timer or not row.active:
            row.timer = timer
            row.anchor, row.interval, row.cycles = occurrences(timer, clock.now())
            _move_to(row, 0)
        row.version, row.updated_at = version, clock.now()
        planned.append(row)
    return planned


def occurrences(timer: str, now: datetime) -> tuple[datetime, str | None, int | None]:
    """(first occurrence, ISO interval between occurrences or None, number of occurrences or None for ever).

    ``R[n]/start/interval``, ``R[n]/interval`` (the first one an interval from now), a date (once) or a duration
    (once, that long from now). A date without an offset is in the desk's time zone.
    """
    try:
        if timer.upper().startswith("R"):
            count, *parts = timer.split("/")
            cycles = int(count[1:]) if count[1:] else None
            if len(parts) == 1:
                return _plus(now, _interval(parts[0], now), 1), parts[0], cycles
            if len(parts) == 2 and not parts[0].upper().startswith("P"):
                return _datetime(parts[0]), _interval(parts[1], now), cycles
            raise TimerValueError(f"{timer!r}: a repeating start needs R/start/interval or R/interval")
        if timer.upper().startswith("P"):
            return _plus(now, _interval(timer, now), 1), None, 1
        return _datetime(timer), None, 1
    except TimerValueError:
        raise
    except Exception as err:  # the ISO parsers raise assorted errors on bad text
        raise TimerValueError(f"{timer!r} is not an ISO 8601 date, duration or repeating interval "
                              f"(such as R/2026-12-01T02:00:00+08:00/P1M)") from err


def next_due() -> datetime | None:
    """When the next schedule falls due (one index lookup)."""
    return db.session.scalar(select(func.min(ProcessSchedule.next_due)).where(ProcessSchedule.active.is_(True)))


def claim_next(skip: set[int]) -> ProcessSchedule | None:
    """The most overdue active schedule, locked for this transaction (skipping rows other workers hold)."""
    query = (select(ProcessSchedule).where(ProcessSchedule.active.is_(True), ProcessSchedule.next_due <= clock.now())
             .order_by(ProcessSchedule.next_due, ProcessSchedule.id).limit(1))
    if skip:
        query = query.where(ProcessSchedule.id.not_in(skip))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def started(row: ProcessSchedule, ticket) -> None:
    """The due occurrence started its ticket: on to the next one."""
    row.last_ticket, row.started, row.last_error = ticket, row.started + 1, None
    _move_to(row, row.occurrence + 1)


def failed(row: ProcessSchedule, message: str) -> None:
    """The due occurrence could not start (the diagram failed): keep the reason and move on all the same."""
    row.last_error = message
    _move_to(row, row.occurrence + 1)


def title(row: ProcessSchedule) -> str:
    """The started ticket's title: the process and the occurrence's day at the desk."""
    return f"{row.model.name} ({row.next_due.astimezone(_zone()):%Y-%m-%d})"


def defaults(schema: dict | None, properties: dict[str, str]) -> dict:
    """A scheduled start has nobody to fill the start form in: its fields take the process's property of the same
    name (which a supervisor sets in the modeller), else the form's default."""
    values = {}
    for name, spec in (schema or {}).get("properties", {}).items():
        if name in properties:
            values[name] = _typed(properties[name], spec.get("type"))
        elif "default" in spec:
            values[name] = spec["default"]
    return values


def _typed(text: str, kind: str | None):
    """A property's text as the form field's type; a value that does not convert stays text for the form's check."""
    try:
        return {"boolean": lambda t: {"true": True, "false": False}[t.strip().lower()], "integer": int,
                "number": float}.get(kind, str)(text)
    except (KeyError, ValueError):
        return text


def schedules() -> list[ProcessSchedule]:
    return list(db.session.scalars(select(ProcessSchedule).order_by(ProcessSchedule.id)))


def _move_to(row: ProcessSchedule, occurrence: int) -> None:
    """Point next_due at that occurrence, or the first one after it still ahead (a missed one is not made up);
    switch the schedule off when its occurrences are used up."""
    now = clock.now()
    if row.interval and occurrence > 0 and not _calendar_units(row.interval):
        step = _plus(row.anchor, row.interval, 1) - row.anchor  # fixed length: jump, do not count
        occurrence = max(occurrence, (now - row.anchor) // step + 1)
    while not _used_up(row, occurrence) and _due(row, occurrence) <= now:
        occurrence += 1
    row.occurrence, row.updated_at = occurrence, now
    row.next_due = None if _used_up(row, occurrence) else _due(row, occurrence)
    row.active = row.next_due is not None


def _used_up(row: ProcessSchedule, occurrence: int) -> bool:
    return (row.interval is None and occurrence > 0) or (row.cycles is not None and occurrence >= row.cycles)


def _due(row: ProcessSchedule, occurrence: int) -> datetime:
    return _plus(row.anchor, row.interval, occurrence) if row.interval else row.anchor


def _calendar_units(interval: str) -> bool:
    """Months and years have no fixed length."""
    return bool({"years", "months"} & set(TimerEventDefinition.parse_iso_duration(interval)))


def _literal(text: str) -> str:
    """The diagram's value, bare (PT10M) or quoted ('PT10M'); anything else is an expression we cannot plan."""
    if diagrams.BARE_TIMER.match(text):
        return text
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise TimerValueError(f"{text!r} is an expression; a timer start event needs a literal ISO 8601 value "
                              "(such as R/2026-12-01T02:00:00+08:00/P1M)") from None
    if not isinstance(value, str):
        raise TimerValueError(f"{text!r} is not an ISO 8601 text")
    return value


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def _datetime(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return (value if value.tzinfo else value.replace(tzinfo=_zone())).astimezone(clock.now().tzinfo)


def _interval(text: str, now: datetime) -> str:
    if _plus(now, text, 1) <= now:
        raise TimerValueError(f"the interval {text!r} must be longer than zero")
    return text


def _scaled(interval: str, times: int) -> dict:
    return {unit: value * times for unit, value in TimerEventDefinition.parse_iso_duration(interval).items()}


def _plus(start: datetime, interval: str, times: int) -> datetime:
    """``times`` intervals after start on the desk's wall clock: months and years by the calendar there (02:00 on
    the 1st stays 02:00 on the 1st)."""
    zone = _zone()
    local = start.astimezone(zone).replace(tzinfo=None)
    local += TimerEventDefinition.get_timedelta_from_start(_scaled(interval, times), local)
    return local.replace(tzinfo=zone).astimezone(start.tzinfo)
