"""The clocks of a ticket's promises (engine.promises.rules says how a diagram declares them): started when they
apply, counted from the call, kept when their element completes."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine import runtime, sla, sla_config, step_rows
from engine.db import db, per_transaction
from engine.models import SlaClock, Ticket
from engine.promises.rules import Promise, declared

UNDER_WAY = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def sync(ticket: Ticket, workflow) -> None:
    """After a step: start the promises that now apply (counted from the call), keep those whose element
    completed. A promise whose element had completed before it applied (a ticket migrated from a version
    without it) is not started after the fact."""
    promises = declared(ticket.process_version.properties or {})
    if not promises:
        return
    clocks = {c.kind: c for c in clocks_of(ticket)}
    finished = runtime.finished_elements(workflow)  # also the elements whose tasks the engine pruned
    for promise in promises:
        sla_clock = clocks.get(promise.name)
        kept = promise.until in finished
        reached = promise.when is None or promise.when in finished or _tasks(workflow, promise.when, UNDER_WAY)
        if sla_clock is None and not kept and reached and (target := _target(ticket, promise)) is not None:
            sla_clock = sla.new_clock(ticket, None, promise.name, target, promise.options,
                                      since=ticket.created_at, until=promise.until)
        if sla_clock is not None and sla.running(sla_clock) and kept:
            sla.stop([sla_clock])
        elif sla_clock is not None and sla.running(sla_clock) and promise.field is not None:
            _follow_date(ticket, promise, sla_clock)


def _follow_date(ticket: Ticket, promise: Promise, sla_clock) -> None:
    """A later step changed the promised date (the complaint's reply-by date, 工单要求处理的时限, 004 §五.10): the
    promise is now that date, with its warning and rungs. An emptied field leaves the promise as it was."""
    target = _target(ticket, promise)
    if target is not None and int(target.total_seconds()) != sla_clock.target_seconds:
        sla.retarget(sla_clock, target)


def _target(ticket: Ticket, promise: Promise) -> str | timedelta | None:
    """The promise's length: its duration, or the working time on its calendar from the call to the close of the
    date its data field holds (None: the field holds no date, so nothing was promised)."""
    if promise.field is None:
        return promise.target
    day = _date((ticket.data or {}).get(promise.field))
    if day is None:
        return None
    close = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(current_app.config["TIMEZONE"]))
    calendar = sla_config.calendar_named(promise.options.get("calendar", "24x7"))
    return calendar.between(ticket.created_at, close)


def _date(value) -> date | None:
    """A YYYY-MM-DD date (or the day of an ISO date-time) as a form stores it; None for anything else."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def due_for(ticket: Ticket, element_id: str):
    """The earliest due time of the running promises the element keeps (its task's inbox badge), or None."""
    return min((c.due_at for c in clocks_of(ticket) if c.until == element_id and sla.running(c)), default=None)


def clocks_of(ticket: Ticket) -> list[SlaClock]:
    """The ticket's promise clocks, those of this step too (nothing is flushed before the commit)."""
    pending = [c for c in step_rows.held(SlaClock) if c.ticket is ticket and c.until]
    return (per_transaction(stored_key(ticket.id), lambda: _stored(ticket)) if ticket.id else []) + pending


def stored_key(ticket_id: int) -> tuple:
    return ("promise_clocks", ticket_id)


def _stored(ticket: Ticket) -> list[SlaClock]:
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id,
                                                          SlaClock.until.is_not(None))))


def _tasks(workflow, element_id: str, state) -> bool:
    return any(t.has_state(state) for t in workflow.get_tasks(spec_name=element_id))
