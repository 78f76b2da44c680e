"""Signals the desk finds in its own data each night (004 §五.8: the pre-churn model reads the complaints and the
revisits): complaints opened in the last 30 days, and tickets closed in the last 30 days whose customer answered
a satisfaction question with 1 or 2 (a revisit, a complaint's reply). One derived signal per customer, kind and
night: running the pass twice in a night updates it instead of adding a second."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select

from engine import clock
from engine.churn.models import ChurnSignal
from engine.db import db
from engine.directory import branches
from engine.models import Customer, ProcessModel, ProcessVersion, Ticket

DAYS = 30
COMPLAINTS = "yellow_complaint"


def derive(scope: set[int] | None, today: date) -> int:
    """Write tonight's derived signals for the customers of ``scope`` (None: all); returns how many."""
    found = {"rising_complaints": _complaints(scope), "dissatisfied_revisits": _dissatisfied(scope)}
    for kind, per_customer in found.items():
        for customer_id, numbers in per_customer.items():
            _keep(customer_id, kind, numbers, today)
    db.session.flush()  # an engine step does not flush by itself: the listing that follows reads them
    return sum(len(per_customer) for per_customer in found.values())


def _recent_tickets(scope: set[int] | None, since_column):
    since = clock.now() - timedelta(days=DAYS)
    return (select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
            .where(since_column >= since, Ticket.status != "cancelled", branches.within(scope, Customer.branch_id)))


def _complaints(scope: set[int] | None) -> dict[int, list[str]]:
    query = (_recent_tickets(scope, Ticket.created_at).join(ProcessVersion).join(ProcessModel)
             .where(ProcessModel.key == COMPLAINTS))
    return _by_customer(db.session.scalars(query))


def _dissatisfied(scope: set[int] | None) -> dict[int, list[str]]:
    closed = db.session.scalars(_recent_tickets(scope, Ticket.closed_at))
    return _by_customer(t for t in closed if _unhappy((t.data or {}).get("satisfaction")))


def _unhappy(value) -> bool:
    return isinstance(value, int | float | str) and str(value).strip() in ("1", "2", "1.0", "2.0")


def _by_customer(found) -> dict[int, list[str]]:
    numbers: dict[int, list[str]] = defaultdict(list)
    for ticket in found:
        numbers[ticket.customer_id].append(ticket.number)
    return numbers


def _keep(customer_id: int, kind: str, numbers: list[str], today: date) -> None:
    row = db.session.scalar(select(ChurnSignal).where(ChurnSignal.customer_id == customer_id,
                                                      ChurnSignal.kind == kind, ChurnSignal.source == "derived",
                                                      ChurnSignal.observed_on == today))
    row = row or ChurnSignal(customer_id=customer_id, kind=kind, source="derived", observed_on=today,
                             created_at=clock.now())
    row.count = len(numbers)
    row.details = (f"{len(numbers)} in the last {DAYS} days / 近 {DAYS} 天 {len(numbers)} 件: "
                   + ", ".join(sorted(numbers)))
    db.session.add(row)
