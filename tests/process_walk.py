"""Walking a shipped process as its people would: complete each task as the role's demo user, then read
what the desk sees (open tasks, history, outbox). Shared by the tests of the process library."""

from pathlib import Path

from sqlalchemy import select

from engine import deployments, tickets, users
from engine.db import db
from engine.models import HumanTask, Ticket, User
from notifications.outbox import OutboxMessage

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


def diagram(key: str) -> tuple[bytes, list[bytes]]:
    """A shipped diagram and its decision tables, as `demo` deploys them."""
    return (BPMN_DIR / f"{key}.bpmn").read_bytes(), [p.read_bytes() for p in sorted(BPMN_DIR.glob(f"{key}*.dmn"))]


def problems(key: str) -> list:
    bpmn, dmns = diagram(key)
    return deployments.validate(bpmn, dmns)


def staff(username: str) -> User:
    return users.by_username(username)


def open_tasks(ticket: Ticket) -> list[str]:
    db.session.refresh(ticket)
    return [t.element_id for t in ticket.tasks if t.state in ("open", "claimed")]


def task(ticket: Ticket, element_id: str) -> HumanTask:
    found = [t for t in ticket.tasks if t.element_id == element_id and t.state in ("open", "claimed")]
    assert found, f"{element_id} is not waiting; open tasks: {open_tasks(ticket)}"
    return found[0]


def work(ticket: Ticket, element_id: str, username: str, data: dict) -> HumanTask:
    """Complete the waiting task of that element as the user."""
    return tickets.complete(staff(username), task(ticket, element_id).id, data)


def walk(ticket: Ticket, steps) -> None:
    for element_id, username, data in steps:
        work(ticket, element_id, username, data)


def completed(ticket: Ticket) -> list[tuple[str, str]]:
    """(element id, who) of each completed task, in the order of the ticket's history."""
    return [(e.task.element_id, e.actor.username) for e in tickets.history(ticket) if e.kind == "completed"]


def kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in tickets.history(ticket)]


def messages(ticket: Ticket) -> list[tuple[str, str, str]]:
    """(event, channel, recipient: a username, or the address of someone who is no user) of the ticket's outbox."""
    rows = db.session.execute(select(OutboxMessage.event, OutboxMessage.channel, User.username, OutboxMessage.address)
                              .outerjoin(User, User.id == OutboxMessage.recipient_id)
                              .where(OutboxMessage.ticket_id == ticket.id).order_by(OutboxMessage.id))
    return [(event, channel, username or address) for event, channel, username, address in rows]
