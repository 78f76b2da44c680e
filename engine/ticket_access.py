"""Who may see and act on a ticket or one of its tasks (its page, history, diagram, attachments, comments,
pause and resume, its tasks), within their branches.

People involved in the ticket see it: its creator, anyone with the role of one of its tasks or who
held one, the customer's account manager; supervisors and admins see every ticket. engine.tickets applies
this rule in get_ticket and get_task, which the pages, the API and every ticket operation go through.
"""

from sqlalchemy import exists, or_, select

from engine.customers import of_ticket
from engine.db import db
from engine.errors import Forbidden
from engine.models import HumanTask, Ticket, User

OVERSEERS = ("supervisor", "admin")


def can_view(user: User, ticket: Ticket) -> bool:
    if user.has_role(*OVERSEERS) or ticket.creator_id == user.id:
        return True
    customer = of_ticket(ticket)
    if customer is not None and customer.account_manager_id == user.id:
        return True
    involved = exists().where(HumanTask.ticket_id == ticket.id,
                              or_(HumanTask.role.in_(user.role_names), HumanTask.assignee_id == user.id,
                                  HumanTask.completed_by_id == user.id))
    return bool(db.session.scalar(select(involved)))


def works_on(user: User, task: HumanTask) -> bool:
    """Whether the task alone shows the user involved in its ticket: its role is theirs, or they hold or held it."""
    return user.has_role(task.role) or user.id in (task.assignee_id, task.completed_by_id)


def require_view(user: User, ticket: Ticket, task: HumanTask | None = None) -> Ticket:
    """The ticket, if the user may see it; ``task``, one of its tasks the user asks for, may show that without a
    read (the rule's "anyone with the role of one of its tasks or who held one")."""
    if not (task is not None and works_on(user, task)) and not can_view(user, ticket):
        raise Forbidden(f"ticket {ticket.number} is not one of yours",
                        message_zh=f"工单 {ticket.number} 与您无关：您不是它的创建人、处理人或客户经理")
    return ticket
