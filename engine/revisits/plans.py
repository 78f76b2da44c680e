"""Handing a plan out (回访计划下达, 004 §五.7.1–2): one ``customer_revisit`` ticket per customer, opened in the plan's
step so that a plan is handed out whole or not at all; its first task is the customer's own account manager's
(``assignee = account_manager``), with the contact to call, due by the plan's end. A customer whose revisit is
still open is left out, so that two plans never send one manager to the same customer twice."""

from sqlalchemy import select

from engine import contracts, deployments, tickets
from engine.db import db
from engine.errors import InvalidInput
from engine.models import Contact, Customer, Ticket, User
from engine.revisits import selection
from engine.revisits.selection import REVISIT

KINDS = ("monthly", "quarterly", "query")


def hand_out(actor: User, plan: Ticket, kind: str, criteria: dict, scope: set[int] | None) -> dict:
    """Open the plan's revisits; returns planned (how many opened), due_on, period, left_out and the tickets."""
    today = contracts.today()
    if kind == "query":
        chosen = selection.query(scope, criteria, today)
    elif kind in KINDS:
        chosen = getattr(selection, kind)(scope, today)
    else:
        raise InvalidInput(f"plan_kind must be one of {', '.join(KINDS)} (回访计划类型必须是 {'、'.join(KINDS)} 之一)")
    busy = _with_open_revisit([c.id for c in chosen.customers])
    version = deployments.latest_version(REVISIT)
    opened = [tickets.open_ticket(actor, version, f"Revisit {c.code} {c.name}", c.id, "normal",
                                  {"plan_number": plan.number, "plan_kind": kind, "due_on": chosen.due_on.isoformat(),
                                   "contact": contact_of(c)})
              for c in chosen.customers if c.id not in busy]
    return {"planned": len(opened), "due_on": chosen.due_on.isoformat(), "period": chosen.period,
            "left_out": len(busy), "tickets": [t.number for t in opened]}


def contact_of(customer: Customer) -> str:
    """Whom to call: the first active contact with a phone, else the customer's own number."""
    contact = db.session.scalar(select(Contact).where(Contact.customer_id == customer.id, Contact.active.is_(True),
                                                      Contact.phone.is_not(None)).order_by(Contact.id).limit(1))
    if contact is not None:
        return f"{contact.name} ({contact.role}) {contact.phone}" if contact.role else f"{contact.name} {contact.phone}"
    return customer.phone or ""


def _with_open_revisit(customer_ids: list[int]) -> set[int]:
    open_ones = selection.revisits().with_only_columns(Ticket.customer_id).where(
        Ticket.customer_id.in_(customer_ids), Ticket.status.in_(("open", "incident")))
    return set(db.session.scalars(open_ones))
