"""The nightly pass's derived signals (engine/churn/derived.py) are found by one SQL query per kind: the same
customers and tickets as the former Python reading of every closed ticket (kept here as the oracle), for every shape
a satisfaction answer may take in a ticket's data, on SQLite and PostgreSQL; and the number of queries does not grow
with the tickets."""

from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from engine import clock
from engine.churn import derived
from engine.db import db
from engine.models import Customer, Ticket
from tests.test_churn_signals import complaint

ANSWERS = [1, 2, 3, 5, 0, "1", " 2 ", "2\n", "1.0", 2.0, 1.5, True, False, None, "x", [1], {"v": 1}, "3", "2.0"]
CODES = ["G0001", "G0002", "G0003", "G0004", "P0001", "P0002"]


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    return fake_clock


def oracle(since_field: str, keep) -> dict[int, list[str]]:
    """What derive found before it asked the database: every ticket read, the condition tested in Python."""
    since = clock.now() - timedelta(days=derived.DAYS)
    found: dict[int, list[str]] = defaultdict(list)
    for ticket in db.session.scalars(select(Ticket).where(Ticket.customer_id.is_not(None))):
        at = getattr(ticket, since_field)
        if at is not None and at >= since and ticket.status != "cancelled" and keep(ticket):
            found[ticket.customer_id].append(ticket.number)
    return {k: sorted(v) for k, v in found.items()}


def old_unhappy(ticket: Ticket) -> bool:
    value = (ticket.data or {}).get("satisfaction")
    return isinstance(value, int | float | str) and str(value).strip() in ("1", "2", "1.0", "2.0")


def is_complaint(ticket: Ticket) -> bool:
    return ticket.process_version.model.key == derived.COMPLAINTS


def sorted_lists(found: dict[int, list[str]]) -> dict[int, list[str]]:
    return {k: sorted(v) for k, v in found.items()}


def tickets_with_every_answer(fake_clock) -> None:
    for n, answer in enumerate(ANSWERS):
        ticket = complaint(CODES[n % len(CODES)])
        ticket.status, ticket.closed_at = "closed", fake_clock.now() - timedelta(days=n % 3)
        ticket.data = {**ticket.data, "satisfaction": answer}
    old = complaint("G0002")  # unhappy, but closed 31 days ago
    old.status, old.closed_at, old.data = "closed", fake_clock.now() - timedelta(days=31), {"satisfaction": 1}
    old.created_at = fake_clock.now() - timedelta(days=40)
    cancelled = complaint("G0004")  # unhappy, but cancelled
    cancelled.status, cancelled.closed_at, cancelled.data = "cancelled", fake_clock.now(), {"satisfaction": 2}
    db.session.commit()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_queries_find_what_the_python_reading_found(app, fake_clock):
    tickets_with_every_answer(fake_clock)
    unhappy = oracle("closed_at", old_unhappy)
    assert sum(len(v) for v in unhappy.values()) == 8  # 1, 2, "1", " 2 ", "2\n", "1.0", 2.0, "2.0"
    assert sorted_lists(derived._dissatisfied(None)) == unhappy
    assert sorted_lists(derived._complaints(None)) == oracle("created_at", is_complaint)
    pudong = {db.session.scalar(select(Customer.branch_id).where(Customer.code == "G0001"))}
    mine = {c.id for c in db.session.scalars(select(Customer).where(Customer.branch_id.in_(pudong)))}
    assert sorted_lists(derived._dissatisfied(pudong)) == {k: v for k, v in unhappy.items() if k in mine}


def test_the_pass_reads_with_a_fixed_number_of_queries_whatever_the_tickets(app, fake_clock):
    def reads_of_one_pass() -> int:
        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
        event.listen(db.engine, "before_cursor_execute", listen)
        try:
            derived.derive(None, fake_clock.now().date())
        finally:
            event.remove(db.engine, "before_cursor_execute", listen)
        db.session.rollback()
        return sum(1 for s in statements if s.lstrip().upper().startswith("SELECT"))

    complaint("G0001").data = {"satisfaction": 1}
    db.session.commit()
    few = reads_of_one_pass()
    tickets_with_every_answer(fake_clock)
    assert reads_of_one_pass() == few == 3  # complaints, dissatisfied answers, tonight's signals written already
