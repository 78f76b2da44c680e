"""Timer rows: armed after each step from what the workflow waits on, claimed by the sweep when due.

A due row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, inside the transaction
that fires it: workers never take the same row, and a worker that dies releases its claim with its
connection, so another one fires the timer (once) later. SQLite has one worker.
"""

from datetime import datetime

from sqlalchemy import func, select

from engine import audit, clock, runtime, sla_config, step_rows
from engine.db import db, per_transaction
from engine.models import Ticket, Timer


def arm(ticket: Ticket, kind: str, due_at: datetime, **fields) -> Timer:
    row = Timer(ticket=ticket, kind=kind, due_at=due_at, created_at=clock.now(), **fields)
    step_rows.add_object(row)
    return row


def armed(ticket: Ticket, kind: str) -> list[Timer]:
    return [row for row in armed_rows(ticket.id) if row.kind == kind]


def armed_rows(ticket_id: int) -> list[Timer]:
    """The ticket's armed timers, BPMN and SLA: read once per step (its clocks and its workflow both ask), minus
    those the step has fired or cancelled since."""
    rows = per_transaction(armed_key(ticket_id), lambda: list(db.session.scalars(
        select(Timer).where(Timer.ticket_id == ticket_id, Timer.state == "armed"))))
    return [row for row in rows if row.state == "armed"]


def armed_key(ticket_id: int) -> tuple:
    return ("armed_timers", ticket_id)


def sync(ticket: Ticket, workflow) -> None:
    """Make the ticket's armed BPMN timer rows match the timers its workflow now waits on."""
    waiting = runtime.waiting_timers(workflow)
    rows = {row.spiff_task_id: row for row in armed(ticket, "bpmn")} if ticket.id else {}
    now = clock.now()
    for spiff_id, row in rows.items():
        due = waiting.get(spiff_id, (None, None))[1]
        if due != row.due_at:
            fired = row.due_at < now
            step_rows.change(row, state="fired" if fired else "cancelled", fired_at=now if fired else None)
            if fired:
                audit.record(ticket, None, "timer_fired", element=row.element_id, due_at=row.due_at.isoformat())
    for spiff_id, (task, due) in waiting.items():
        if spiff_id not in rows:
            due = _in_business_time(task, due)
        if spiff_id not in rows or rows[spiff_id].due_at != due:
            arm(ticket, "bpmn", due, spiff_task_id=spiff_id, element_id=task.task_spec.bpmn_id)


def _in_business_time(task, due: datetime) -> datetime:
    """A duration timer with an `sla.calendar` property counts working time from now on that calendar."""
    name = runtime.properties(task).get("sla.calendar", "24x7")
    duration = runtime.timer_duration(task) if name != "24x7" else None
    if duration is None:
        return due
    due = sla_config.calendar_named(name).add(clock.now(), duration)
    runtime.set_timer_due(task, due)
    return due


def cancel_all(ticket: Ticket) -> None:
    for kind in ("bpmn", "sla"):
        for row in armed(ticket, kind):
            step_rows.change(row, state="cancelled")


def claim_next(skip: set[int]) -> Timer | None:
    """The most overdue armed timer, locked for this transaction (skipping rows other workers hold)."""
    query = (select(Timer).where(Timer.state == "armed", Timer.due_at < clock.now())
             .order_by(Timer.due_at, Timer.id).limit(1))
    if skip:
        query = query.where(Timer.id.not_in(skip))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return db.session.scalar(query)


def next_due() -> datetime | None:
    """When the next armed timer falls due: one index lookup, however many timers are armed."""
    return db.session.scalar(select(func.min(Timer.due_at)).where(Timer.state == "armed"))
