"""Rows to JSON-ready dicts, in one place so that every endpoint shows a ticket or task the same way."""

from datetime import datetime

from engine import contacts, contracts, sla_config, tickets
from engine.models import (
    Branch,
    CalendarRecord,
    Contact,
    Contract,
    Customer,
    CustomerChange,
    CustomerView,
    DirectoryChange,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    Role,
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
        body["form"] = tickets.task_form(t)
    return body


def open_tasks(t: Ticket) -> list[dict]:
    """The ticket's tasks that wait for a person, read without its finished ones (a loop leaves thousands)."""
    return [task(x) for x in tickets.active_tasks(t)]


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
            "paused": c.paused_at is not None, "until": c.until}  # until: a ticket promise's element


def policy(p: SlaPolicy) -> dict:
    return {field: getattr(p, field) for field in ("id", *sla_config.POLICY_FIELDS)}


def calendar(r: CalendarRecord, missing_years: list[int]) -> dict:
    return {"name": r.name, "timezone": r.timezone, "hours": r.hours, "china_holidays": r.china_holidays,
            "days": [{"day": d.day.isoformat(), "kind": d.kind, "note": d.note} for d in r.days],
            "missing_years": missing_years}


def branch(b: Branch | None) -> dict | None:
    if b is None:
        return None
    return {"id": b.id, "code": b.code, "name": b.name, "level": b.level, "parent_id": b.parent_id,
            "parent": b.parent.code if b.parent else None, "active": b.active}


def customer(c: Customer, full: bool = False) -> dict:
    body = {"id": c.id, "code": c.code, "name": c.name, "kind": c.kind, "tier": c.tier, "member_card": c.member_card,
            "credit_level": c.credit_level, "status": c.status, "branch": branch(c.branch),
            "account_manager": username(c.account_manager)}
    if full:
        body.update(phone=c.phone, language=c.language, no_sms=c.no_sms, industry=c.industry,
                    arpu=str(c.arpu) if c.arpu is not None else None,
                    points=c.points, account_manager_id=c.account_manager_id,
                    customer_since=c.customer_since.isoformat() if c.customer_since else None,
                    created_at=when(c.created_at),
                    contacts=[contact(x) for x in contacts.of(c)], contracts=[contract(x) for x in contracts.of(c)])
    return body


def contact(c: Contact) -> dict:
    return {"id": c.id, "name": c.name, "role": c.role, "phone": c.phone, "email": c.email, "active": c.active,
            "no_sms": c.no_sms}


def contract(c: Contract) -> dict:
    expiry = contracts.expiry(c)
    return {"id": c.id, "number": c.number, "title": c.title, "start_date": c.start_date.isoformat(),
            "end_date": c.end_date.isoformat() if c.end_date else None,
            "amount": str(c.amount) if c.amount is not None else None, "status": c.status,
            "expiry": expiry.state, "days_left": expiry.days_left, "ticket": c.ticket.number if c.ticket else None}


def change(c: CustomerChange) -> dict:
    return {"id": c.id, "at": when(c.at), "actor": username(c.actor), "field": c.field, "old": c.old, "new": c.new,
            "reason": c.reason, "ticket": c.ticket.number if c.ticket else None, "contact_id": c.contact_id,
            "contract_id": c.contract_id}


def view(v: CustomerView) -> dict:
    return {"id": v.id, "at": when(v.at), "user": username(v.user), "via": v.via, "part": v.part}


def role(r: Role) -> dict:
    return {"key": r.key, "name": r.name, "name_zh": r.name_zh, "active": r.active}


def user(u: User) -> dict:
    return {"username": u.username, "display_name": u.display_name, "email": u.email, "phone": u.phone,
            "branch": u.branch.code if u.branch else None, "roles": sorted(u.role_names), "locale": u.locale,
            "active": u.active, "must_change_password": u.must_change_password, "sign_in_via": u.sign_in_via}


def directory_change(c: DirectoryChange) -> dict:
    return {"id": c.id, "at": when(c.at), "actor": username(c.actor), "kind": c.kind, "subject": c.subject,
            "field": c.field, "old": c.old, "new": c.new}
