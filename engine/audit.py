"""The append-only history of a ticket: who did what, when, with the data they entered."""

from engine import clock, step_rows
from engine.models import HumanTask, Ticket, TicketEvent, User


def record(ticket: Ticket, actor: User | None, kind: str, task: HumanTask | None = None, **data) -> None:
    """Add one history line in the current transaction; it commits or rolls back with the step."""
    step_rows.add(TicketEvent, ticket_id=ticket, actor_id=actor, kind=kind, task_id=task, data=data, at=clock.now())


def pending(ticket: Ticket, kind: str) -> list[dict]:
    """The history lines of ``kind`` the current step added to the ticket so far."""
    return [line for line in step_rows.pending(TicketEvent) if line["ticket_id"] is ticket and line["kind"] == kind]
