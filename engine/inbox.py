"""Read-only lists for the task inbox and the ticket list: indexed queries that never load a workflow.

Both lists hold only what lies within the user's branches (engine.branches).
"""

from sqlalchemy import or_, select

from engine import branches
from engine.db import db
from engine.errors import InvalidInput
from engine.models import ACTIVE_TASK_STATES, CHANNELS, TASK_STATES, TICKET_STATES, HumanTask, Ticket, User


def tasks_for(user: User, role: str | None = None, mine: bool = False, state: str | None = None,
              limit: int = 100, offset: int = 0) -> list[HumanTask]:
    """Tasks of the user's roles plus those assigned to them, on tickets of their branches, soonest due first."""
    _check_choice("state", state, TASK_STATES)
    states = (state,) if state else ACTIVE_TASK_STATES
    visible = or_(HumanTask.assignee_id == user.id, HumanTask.role.in_(user.role_names))
    query = (select(HumanTask).join(HumanTask.ticket)
             .where(visible, HumanTask.state.in_(states), branches.visible(user, Ticket.branch_id)))
    if role:
        query = query.where(HumanTask.role == role)
    if mine:
        query = query.where(HumanTask.assignee_id == user.id)
    query = query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    return list(db.session.scalars(query.limit(limit).offset(offset)))


def tickets(viewer: User, status: str | None = None, channel: str | None = None, customer_id: int | None = None,
            limit: int = 100, offset: int = 0) -> list[Ticket]:
    """Tickets of the viewer's branches, newest first, optionally of one status, channel and customer."""
    _check_choice("status", status, TICKET_STATES)
    _check_choice("channel", channel, tuple(CHANNELS))
    query = select(Ticket).where(branches.visible(viewer, Ticket.branch_id))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if status:
        query = query.where(Ticket.status == status)
    if channel:
        query = query.where(Ticket.channel == channel)
    return list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)))


def _check_choice(field: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}", [{"field": field, "message": "unknown"}])
