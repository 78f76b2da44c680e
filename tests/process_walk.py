"""Walking a shipped process through the engine as the desk's demo users do, for the process tests."""

from sqlalchemy import select

from engine import customers, scheduler, tickets
from engine.db import db
from engine.models import Customer, HumanTask, Ticket
from tests.process_library import staff


def customer(code: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == code))


def open_tasks(ticket: Ticket) -> list[HumanTask]:
    db.session.refresh(ticket)
    return [t for t in ticket.tasks if t.state in ("open", "claimed")]


def open_task(ticket: Ticket, element_id: str) -> HumanTask:
    """The one open task of the ticket; fails naming what is open instead when it waits elsewhere."""
    found = [t.element_id for t in open_tasks(ticket)]
    assert found == [element_id], f"expected {element_id}, the ticket waits in {found}"
    return open_tasks(ticket)[0]


def work(ticket: Ticket, element_id: str, username: str, data: dict) -> HumanTask:
    """Claim and complete the ticket's open task as the user."""
    task = open_task(ticket, element_id)
    tickets.claim(staff(username), task.id)
    return tickets.complete(staff(username), task.id, data)


def customer_changes(code: str) -> list[tuple[str, str | None, str | None]]:
    return [(c.field, c.old, c.new) for c in customers.history(customer(code))]


def sweep() -> int:
    return scheduler.sweep()
