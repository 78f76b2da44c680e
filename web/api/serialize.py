"""Rows to JSON-ready dicts, in one place so that every endpoint shows a ticket or task the same way."""

from datetime import datetime

from engine import sla_config, tickets
from engine.models import (
    ACTIVE_TASK_STATES,
    CalendarRecord,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketEvent,
    User,
)


def when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def username(user: User | None) -> str | None:
    return user.username if user else None


def version(v: ProcessVersion) -> dict:
    return {"key": v.model.key, "version": v.version, "name": v.model.name, "channel": v.model.channel,
            "comment": v.comment, "deployed_by": username(v.deployed_by), "deployed_at": when(v.deployed_at)}


def model(m: ProcessModel) -> dict:
    latest = m.versions[-1] if m.versions else None
    return {"key": m.key, "name": m.name, "channel": m.channel,
            "latest_version": latest.version if latest else None,
            "versions": [version(v) for v in m.versions]}


def task(t: HumanTask, with_form: bool = False) -> dict:
    body = {
        "id": t.id, "name": t.name, "element_id": t.element_id, "role": t.role,
        "assignee": username(t.assignee), "state": t.state, "priority": t.priority, "sla_state": t.sla_state,
        "form_key": t.form_key,
        "created_at": when(t.created_at), "due_at": when(t.due_at), "claimed_at": when(t.claimed_at),
        "completed_at": when(t.completed_at),
        "ticket": {"id": t.ticket.id, "number": t.ticket.number, "title": t.ticket.title,
                   "channel": t.ticket.channel},
    }
    if with_form:
        body["form"] = t.ticket.process_version.forms.get(t.form_key) if t.form_key else None
    return body


def open_tasks(t: Ticket) -> list[dict]:
    return [task(x) for x in t.tasks if x.state in ACTIVE_TASK_STATES]


def event(e: TicketEvent) -> dict:
    return {"id": e.id, "at": when(e.at), "actor": username(e.actor), "kind": e.kind, "task_id": e.task_id,
            "data": e.data}


def ticket(t: Ticket, full: bool = False) -> dict:
    body = {
        "id": t.id, "number": t.number, "channel": t.channel, "title": t.title, "priority": t.priority,
        "status": t.status, "customer_id": t.customer_id, "creator": username(t.creator),
        "process": {"key": t.process_version.model.key, "version": t.process_version.version},
        "created_at": when(t.created_at), "updated_at": when(t.updated_at), "closed_at": when(t.closed_at),
        "data": t.data,
    }
    body["waiting_since"] = when(t.waiting_since)
    if full:
        body["tasks"] = open_tasks(t)
        body["sla"] = [clock(c) for c in tickets.sla_clocks(t)]
        body["history"] = [event(e) for e in tickets.history(t)]
    return body


def clock(c: SlaClock) -> dict:
    return {"id": c.id, "task_id": c.task_id, "kind": c.kind, "state": c.state, "calendar": c.calendar,
            "target_seconds": c.target_seconds, "started_at": when(c.started_at), "warn_at": when(c.warn_at),
            "due_at": when(c.due_at), "warned_at": when(c.warned_at), "breached_at": when(c.breached_at),
            "met_at": when(c.met_at), "rung": c.rung, "paused_seconds": c.paused_seconds,
            "paused": c.paused_at is not None}


def policy(p: SlaPolicy) -> dict:
    return {field: getattr(p, field) for field in ("id", *sla_config.POLICY_FIELDS)}


def calendar(r: CalendarRecord, missing_years: list[int]) -> dict:
    return {"name": r.name, "timezone": r.timezone, "hours": r.hours, "china_holidays": r.china_holidays,
            "days": [{"day": d.day.isoformat(), "kind": d.kind, "note": d.note} for d in r.days],
            "missing_years": missing_years}
