"""The ticket search on PostgreSQL can be answered from the pg_trgm indexes: every arm of its text condition is on
the tickets table (number, title by trigram; the customers' tickets by customer_id, the customers by trigram), in
one BitmapOr. Speed is bench/search.py's."""

import pytest
from sqlalchemy import or_, select, text
from sqlalchemy.dialects import postgresql

from engine.db import db
from engine.models import Customer, Ticket
from engine.search import tickets as ticket_search
from tests.web_data import red_ticket

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


def plan(query) -> str:
    """PostgreSQL's plan for a query of the search (for the tickets, only those the search text finds: the rest,
    the branches and the joins, is planned from the sizes of a test's few rows, which would say nothing)."""
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
    return "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql.replace("%%", "%"))))


def tickets_found(q: str):
    return select(Ticket.id).where(ticket_search._text_condition(q))


def test_the_trigram_indexes_exist_and_the_search_reads_them(app):
    red_ticket("Leased line down")
    names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets'")))
    assert {"ix_tickets_number_trgm", "ix_tickets_title_trgm"} <= names
    shown = plan(tickets_found("leased"))
    assert "ix_tickets_title_trgm" in shown and "ix_tickets_number_trgm" in shown
    assert "Seq Scan on tickets" not in shown
    db.session.rollback()


def test_the_customers_are_found_by_trigram_and_their_tickets_in_the_same_bitmap(app):
    red_ticket("Leased line down")
    names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'customers'")))
    assert {"ix_customers_name_trgm", "ix_customers_code_trgm"} <= names
    customers = plan(select(Customer.id).where(or_(Customer.name.icontains("Shanghai"),
                                                   Customer.code.icontains("Shanghai"))))
    assert "ix_customers_name_trgm" in customers and "ix_customers_code_trgm" in customers
    shown = plan(tickets_found("Shanghai"))  # the customers named by id, not a subquery tested row by row
    assert "BitmapOr" in shown and "ix_tickets_customer_id" in shown and "SubPlan" not in shown
    db.session.rollback()
