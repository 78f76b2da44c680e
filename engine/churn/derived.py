"""Signals the desk finds in its own data each night (004 §五.8: the pre-churn model reads the complaints and the
revisits): complaints opened in the last 30 days, and tickets closed in the last 30 days whose customer answered
a satisfaction question with 1 or 2 (a revisit, a complaint's reply). One derived signal per customer, kind and
night: running the pass twice in a night updates it instead of adding a second."""

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import Select, and_, func, select
from sqlalchemy.sql import ColumnElement

from engine import clock, report_sql
from engine.churn.models import ChurnSignal
from engine.db import db
from engine.directory import branches
from engine.models import Customer, ProcessModel, ProcessVersion, Ticket

DAYS = 30
COMPLAINTS = "yellow_complaint"
UNHAPPY = ("1", "2", "1.0", "2.0")  # a satisfaction answer of 1 or 2 as the database writes the number as text
SPACES = " \t\n\r\f\v"


def derive(scope: set[int] | None, today: date) -> int:
    """Write tonight's derived signals for the customers of ``scope`` (None: all); returns how many."""
    found = {"rising_complaints": _complaints(scope), "dissatisfied_revisits": _dissatisfied(scope)}
    tonight = _written(today)
    for kind, per_customer in found.items():
        for customer_id, numbers in per_customer.items():
            _keep(tonight.get((customer_id, kind)), customer_id, kind, numbers, today)
    db.session.flush()  # an engine step does not flush by itself: the listing that follows reads them
    return sum(len(per_customer) for per_customer in found.values())


def _recent(scope: set[int] | None, since_column) -> Select:
    """Customer id and number of the tickets of ``scope`` whose ``since_column`` lies in the last 30 days."""
    since = clock.now() - timedelta(days=DAYS)
    return (select(Ticket.customer_id, Ticket.number).join(Customer, Customer.id == Ticket.customer_id)
            .where(since_column >= since, Ticket.status != "cancelled", branches.within(scope, Customer.branch_id)))


def _complaints(scope: set[int] | None) -> dict[int, list[str]]:
    query = (_recent(scope, Ticket.created_at).join(ProcessVersion).join(ProcessModel)
             .where(ProcessModel.key == COMPLAINTS))
    return _by_customer(db.session.execute(query))


def _dissatisfied(scope: set[int] | None) -> dict[int, list[str]]:
    return _by_customer(db.session.execute(_recent(scope, Ticket.closed_at).where(_unhappy())))


def _unhappy() -> ColumnElement[bool]:
    """The ticket's ``satisfaction`` is 1 or 2: a number, or text that reads as one once trimmed (1, 2, 1.0, 2.0);
    true and false are no answer. Decided in the database: the nightly pass reads no ticket row."""
    if report_sql.postgres():
        kind, kinds = func.json_typeof(Ticket.data["satisfaction"]), ("number", "string")
        text = func.btrim(Ticket.data["satisfaction"].as_string(), SPACES)
    else:
        kind, kinds = func.json_type(Ticket.data, "$.satisfaction"), ("integer", "real", "text")
        text = func.trim(func.json_extract(Ticket.data, "$.satisfaction"), SPACES)
    return and_(kind.in_(kinds), text.in_(UNHAPPY))


def _by_customer(rows) -> dict[int, list[str]]:
    numbers: dict[int, list[str]] = defaultdict(list)
    for customer_id, number in rows:
        numbers[customer_id].append(number)
    return numbers


def _written(today: date) -> dict[tuple[int, str], ChurnSignal]:
    """Tonight's derived signals written by an earlier pass, in one query: a second pass updates them."""
    return {(row.customer_id, row.kind): row for row in db.session.scalars(
        select(ChurnSignal).where(ChurnSignal.source == "derived", ChurnSignal.observed_on == today))}


def _keep(row: ChurnSignal | None, customer_id: int, kind: str, numbers: list[str], today: date) -> None:
    row = row or ChurnSignal(customer_id=customer_id, kind=kind, source="derived", observed_on=today,
                             created_at=clock.now())
    row.count = len(numbers)
    row.details = (f"{len(numbers)} in the last {DAYS} days / 近 {DAYS} 天 {len(numbers)} 件: "
                   + ", ".join(sorted(numbers)))
    db.session.add(row)
