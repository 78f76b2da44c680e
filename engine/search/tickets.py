"""The ticket list: every ticket of the viewer's branches, filtered, searched, sorted and paged in one query.

The search text ``q`` finds a ticket by its number, its title, its customer's name or code, or the phone of
the customer or of one of its contacts written with any spacing. Dates are whole days of the viewer's zone,
both ends included.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select, union
from sqlalchemy.orm import contains_eager, defer

from engine import clock
from engine.customers import phone_digits, phone_holds
from engine.db import db, per_transaction
from engine.directory import branches
from engine.errors import InvalidInput
from engine.fields import problem
from engine.models import (
    ACTIVE_TASK_STATES,
    CHANNELS,
    TICKET_STATES,
    Contact,
    Customer,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    Ticket,
    User,
)

SLA_STATES = ("on_track", "warning", "breached")
LISTED_CUSTOMERS = 1_000  # the most customers a text search names by id (see _text_condition)
SORTS = {"number": Ticket.id, "opened": Ticket.created_at, "updated": Ticket.updated_at, "title": Ticket.title}


@dataclass(frozen=True)
class TicketFilter:
    """What the list is narrowed to; every field is optional."""

    q: str | None = None
    channel: str | None = None
    process: str | None = None  # a process key
    status: str | None = None
    customer: str | None = None  # part of a customer's name or code
    customer_id: int | None = None
    branch_id: int | None = None
    creator: str | None = None  # a user name
    opened_from: date | None = None
    opened_to: date | None = None
    sla: str | None = None

    def checked(self) -> "TicketFilter":
        """Itself, or InvalidInput naming every unknown choice (in English and Chinese)."""
        problems = [problem(name, f"must be one of {', '.join(choices)}", f"必须是 {'、'.join(choices)} 之一")
                    for name, choices in (("channel", tuple(CHANNELS)), ("status", TICKET_STATES),
                                          ("sla", SLA_STATES))
                    if getattr(self, name) not in (None, *choices)]
        if self.opened_from and self.opened_to and self.opened_to < self.opened_from:
            problems.append(problem("opened_to", "must not be before opened_from", "结束日期不能早于开始日期"))
        if problems:
            raise InvalidInput("wrong ticket filters: " + ", ".join(p["field"] for p in problems), problems)
        return self

    def active(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, "")}


def find(viewer: User, where: TicketFilter, sort: str = "number", descending: bool = True,
         zone: str = "UTC", limit: int = 50, offset: int = 0) -> list[Ticket]:
    """One page of matching tickets, each with its customer, process and creator (no workflow blob)."""
    check_sort(sort)
    order = SORTS[sort].desc() if descending else SORTS[sort].asc()
    query = (_matching(viewer, where.checked(), ZoneInfo(zone))
             .options(defer(Ticket.workflow_state), contains_eager(Ticket.customer), contains_eager(Ticket.creator),
                      contains_eager(Ticket.process_version).contains_eager(ProcessVersion.model))
             .order_by(order, Ticket.id.desc()).limit(limit).offset(offset))
    return list(db.session.scalars(query).unique())


def check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise InvalidInput(f"sort must be one of {', '.join(SORTS)}",
                           [problem("sort", "unknown", f"排序必须是 {'、'.join(SORTS)} 之一")])


def count(viewer: User, where: TicketFilter, zone: str = "UTC", cap: int = 10_000) -> int:
    """How many tickets match, counted up to ``cap`` (a page count need not read every row).

    The matches are a materialized CTE read only as far as the cap: PostgreSQL plans them as the whole set (for
    a title word, from the trigram index) and stops reading at the cap. With the LIMIT in view it took the first
    ``cap`` matches to be cheapest found by a scan of the table, which tests the text on every row it passes."""
    matches = (_matching(viewer, where.checked(), ZoneInfo(zone), counting=True).with_only_columns(Ticket.id)
               .cte("matches").prefix_with("MATERIALIZED", dialect="postgresql"))
    capped = select(matches.c.id).limit(cap).subquery()
    return db.session.scalar(select(func.count()).select_from(capped))


def _matching(viewer: User, where: TicketFilter, zone: ZoneInfo, counting: bool = False):
    """The tickets that match, joined to what a page shows; for a count only to what the filters read (the
    ticket's creator and version are never missing, so the inner joins change no count)."""
    active = where.active()
    query = select(Ticket).where(branches.visible(viewer, Ticket.branch_id))
    if not counting or "creator" in active:
        query = query.join(Ticket.creator)
    if not counting or "process" in active:
        query = query.join(Ticket.process_version).join(ProcessVersion.model)
    if not counting or "customer" in active:
        query = query.outerjoin(Ticket.customer)
    conditions = {
        "channel": lambda v: Ticket.channel == v,
        "status": lambda v: Ticket.status == v,
        "process": lambda v: ProcessModel.key == v,
        "customer_id": lambda v: Ticket.customer_id == v,
        "branch_id": lambda v: Ticket.branch_id == v,
        "creator": lambda v: User.username == v,
        "customer": lambda v: or_(Customer.name.icontains(v.strip(), autoescape=True),
                                  Customer.code.icontains(v.strip(), autoescape=True)),
        "opened_from": lambda v: Ticket.created_at >= _start_of(v, zone),
        "opened_to": lambda v: Ticket.created_at < _start_of(v + timedelta(days=1), zone),
        "q": _text_condition,
        "sla": _sla_condition,
    }
    for name, value in active.items():
        query = query.where(conditions[name](value))
    return query


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone).astimezone(ZoneInfo("UTC"))


def _text_condition(text: str):
    """Number, title, customer name or code, or a phone of the customer or a contact (any spacing).

    One OR that PostgreSQL answers with a BitmapOr of the trigram indexes on the ticket's number and title and
    the customer_id index: no union of ticket ids to collect and join back, so a capped count stops reading at
    its cap and the newest page of a common word walks the primary key backwards. The matching customers are
    looked up first (from their own trigram indexes) and named by id, so that PostgreSQL plans the tickets
    knowing how few they are; an IN (subquery) inside the OR would be tested row by row over every ticket,
    which is the right plan only when the customers are many (more than LISTED_CUSTOMERS)."""
    text, digits = text.strip(), phone_digits(text)
    customers = [select(Customer.id).where(or_(Customer.name.icontains(text, autoescape=True),
                                               Customer.code.icontains(text, autoescape=True)))]
    if digits:
        customers += [select(Customer.id).where(phone_holds(Customer.phone, digits)),
                      select(Contact.customer_id).where(phone_holds(Contact.phone, digits))]
    found = union(*customers)
    ids = per_transaction(("customers_matching", text),  # the page and its count ask alike
                          lambda: list(db.session.scalars(found.limit(LISTED_CUSTOMERS + 1))))
    return or_(Ticket.number.icontains(text, autoescape=True), Ticket.title.icontains(text, autoescape=True),
               Ticket.customer_id.in_(found if len(ids) > LISTED_CUSTOMERS else ids))


def _sla_condition(state: str):
    """By the ticket's open tasks: breached if one is past due or breached, warning if one is warned."""
    now = clock.now()
    task_of = and_(HumanTask.ticket_id == Ticket.id, HumanTask.state.in_(ACTIVE_TASK_STATES))
    breached = exists().where(task_of, or_(HumanTask.sla_state == "breached", HumanTask.due_at <= now))
    warned = exists().where(task_of, HumanTask.sla_state == "warned")
    if state == "breached":
        return breached
    if state == "warning":
        return and_(warned, ~breached)
    return and_(Ticket.status == "open", ~warned, ~breached)
