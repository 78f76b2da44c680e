"""The append-only history of a ticket: who did what, when, with the data they entered."""

from engine import clock
from engine.db import db
from engine.models import HumanTask, Ticket, TicketEvent, User


def record(ticket: Ticket, actor: User | None, kind: str, task: HumanTask | None = None, **data) -> TicketEvent:
    """Add one history line in the current transaction; it commits or rolls back with the step."""
    entry = TicketEvent(ticket=ticket, actor=actor, kind=kind, task=task, data=data, at=clock.now())
    db.session.add(entry)
    return entry
