"""Walking a shipped process through the engine as the demo users do: who works which step, and what it left."""


from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import ACTIVE_TASK_STATES, HumanTask, Ticket

USER_OF_ROLE = {"engineering": "engineer"}  # every other role's demo user has the role's name


def open_tasks(ticket_id: int) -> list[HumanTask]:
    db.session.expire_all()
    return [t for t in db.session.get(Ticket, ticket_id).tasks if t.state in ACTIVE_TASK_STATES]


def open_steps(ticket_id: int) -> list[tuple[str, str]]:
    """(element id, role) of each task waiting for a person."""
    return sorted((t.element_id, t.role) for t in open_tasks(ticket_id))


def work(ticket_id: int, element_id: str, data: dict) -> HumanTask:
    """The demo user of the task's role claims and completes the open task of that element."""
    task, = [t for t in open_tasks(ticket_id) if t.element_id == element_id]
    user = users.by_username(USER_OF_ROLE.get(task.role, task.role))
    tickets.claim(user, task.id)
    return tickets.complete(user, task.id, data)


def walk(ticket_id: int, steps: list[tuple[str, dict]]) -> None:
    for element_id, data in steps:
        work(ticket_id, element_id, data)


def reload(ticket: Ticket) -> Ticket:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)
