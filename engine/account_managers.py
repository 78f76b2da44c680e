"""The customer's own account manager (专人负责，一点接触，全面服务): one named person owns a key account's work.

A task with ``assignee = account_manager``, a ``notify_account_manager`` service task and an SLA ladder rung
written ``account_manager`` all reach that one person. When the customer has none who can act (no account
manager, an inactive one, or one outside the ticket's branch rule) the work falls back to the role and the
supervisors are told, once per ticket, so that someone names a manager.
"""

from sqlalchemy import select

from engine import audit, customers
from engine.db import db
from engine.directory import branches
from engine.models import Ticket, TicketEvent, User
from notifications import notify, rota

KEYWORD = "account_manager"  # the word a diagram writes for this person (assignee, escalate_to)
FALLBACK_ROLE = "manager"


def of_ticket(ticket: Ticket) -> User | None:
    """The account manager of the ticket's customer, if they can act on this ticket; else None."""
    customer = customers.of_ticket(ticket)
    manager = customer.account_manager if customer is not None else None
    if manager is None or not manager.active or not branches.can_see(manager, ticket.branch_id):
        return None
    return manager


def or_fallback(ticket: Ticket) -> list[User]:
    """The account manager alone; without one, whoever answers for the manager role now (and the supervisors
    hear that the customer has no account manager)."""
    manager = of_ticket(ticket)
    if manager is not None:
        return [manager]
    report_missing(ticket)
    return rota.on_duty(FALLBACK_ROLE, branch_id=ticket.branch_id)


def report_missing(ticket: Ticket) -> None:
    """Tell the supervisors who see the ticket that its customer has no account manager who can act: once. A
    ticket of no customer has nobody to name a manager on: nothing to tell."""
    if ticket.customer_id is None or _reported(ticket):
        return
    audit.record(ticket, None, "account_manager_missing")
    supervisors = rota.on_duty("supervisor", branch_id=ticket.branch_id)
    notify.people("account_manager_missing", supervisors, f"account_manager_missing:{ticket.number}", ticket)


def _reported(ticket: Ticket) -> bool:
    """Already in the ticket's history: written earlier, or earlier in this step (nothing is flushed before
    the commit)."""
    return bool(audit.pending(ticket, "account_manager_missing")) or (ticket.id is not None and db.session.scalar(
        select(TicketEvent.id).where(TicketEvent.ticket_id == ticket.id,
                                     TicketEvent.kind == "account_manager_missing")) is not None)
