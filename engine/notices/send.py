"""Send one customer notice about a ticket: rendered in the customer's language, queued in the outbox in the step's
transaction under a key of ticket, event and occurrence (a retried step, a second worker or a second hook sends
nothing more), and written on the ticket's history, also when nobody could be told and why."""

import re
from datetime import UTC, datetime

from sqlalchemy import select

from engine import account_managers, audit, customers, sla
from engine.db import db
from engine.models import Ticket, TicketEvent
from engine.notices import recipients
from engine.promises import clocks as promises
from notifications import notify

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ONCE = "once"  # the occurrence of an event a ticket has at most once
ONCE_EVENTS = ("notice_opened", "notice_dispatched", "notice_restored", "notice_closed")


def tell(ticket: Ticket, event: str, occurrence: str = ONCE, data: dict | None = None, **words) -> bool:
    """Queue the event's SMS to the customer's primary contact; True when it is queued now. ``words``: a diagram's
    subject and body, for the events that carry them (customer_notice)."""
    key = f"notice:{ticket.number}:{event}:{occurrence}"
    customer = customers.of_ticket(ticket)
    to = recipients.primary(customer) if customer is not None else None
    if to is None:
        if not _skipped_before(ticket, event, occurrence):
            audit.record(ticket, None, "customer_not_notified", event=event, occurrence=occurrence,
                         reason=recipients.why_not(customer))
        return False
    queued = notify.customer(event, to.phone, key, ticket, language=customer.language, data=_readable(data or {}),
                             promises=_promised(ticket), call=_whom_to_call(ticket), **words)
    if queued:
        audit.record(ticket, None, "customer_notified", event=event, occurrence=occurrence, to=to.name,
                     phone=to.phone)
    return bool(queued)


def _readable(data: dict) -> dict:
    """Date-times as a customer reads them, in the desk's time to the minute ("2026-11-23T01:40:00Z" from a form
    reads 2026-11-23 09:40)."""
    return {key: _local(value) if isinstance(value, str) and ISO_TIME.match(value) else value
            for key, value in data.items()}


def _local(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return notify.local_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _promised(ticket: Ticket) -> list[dict]:
    """The ticket's running promises, soonest first, as the customer reads them (the desk's local time)."""
    live = sorted((c for c in promises.clocks_of(ticket) if sla.running(c)), key=lambda c: c.due_at)
    return [{"name": c.kind, "due_at": notify.local_time(c.due_at)} for c in live]


def _whom_to_call(ticket: Ticket) -> dict:
    """The customer's own account manager when one can act (专人负责), else the desk's hotline."""
    manager = account_managers.of_ticket(ticket)
    if manager is not None and manager.phone:
        return {"name": manager.display_name, "phone": manager.phone}
    return notify.hotline()


def _skipped_before(ticket: Ticket, event: str, occurrence: str) -> bool:
    """The history already says this notice reached nobody (earlier, or earlier in this step): one line is enough."""
    same = {"event": event, "occurrence": occurrence}
    lines = [line["data"] for line in audit.pending(ticket, "customer_not_notified")]
    if ticket.id is not None:
        lines += db.session.scalars(select(TicketEvent.data).where(TicketEvent.ticket_id == ticket.id,
                                                                   TicketEvent.kind == "customer_not_notified"))
    return any({k: data.get(k) for k in same} == same for data in lines)
