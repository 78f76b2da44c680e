"""Tickets for the staff-page tests, started through the engine as the desk would."""

from sqlalchemy import select, update

from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import Customer, HumanTask, Ticket


def red_ticket(title: str = "Leased line down", customer_code: str = "G0001", by: str = "agent") -> Ticket:
    """A red-channel fault ticket; its first task, "Accept the fault", waits for an agent."""
    customer = db.session.scalar(select(Customer).where(Customer.code == customer_code))
    return tickets.start_ticket(users.by_username(by), "red_fault", title, customer_id=customer.id,
                                data={"service": "leased_line", "description": "no light on the fibre"})


def open_task(ticket: Ticket):
    return next(t for t in ticket.tasks if t.state in ("open", "claimed"))


def colleague(of: str = "agent", username: str = "agent2") -> None:
    """A second person with the same roles in the same branch as the demo user ``of``."""
    demo_user = users.by_username(of)
    users.create_user(username, "demo", sorted(demo_user.role_names), "Zhou Qi", branch=demo_user.branch)
    db.session.commit()


def copy_ticket_columns() -> None:
    """Tasks written straight to the table (many at once, for tests and benchmarks at scale) get the columns of
    their ticket that engine.tickets copies into a task it creates."""
    def of_ticket(column: str):
        return select(getattr(Ticket, column)).where(Ticket.id == HumanTask.ticket_id).scalar_subquery()

    db.session.execute(update(HumanTask).where(HumanTask.ticket_number.is_(None))
                       .values({copy: of_ticket(column) for copy, column in HumanTask.TICKET_COPIES.items()}))
    db.session.commit()
