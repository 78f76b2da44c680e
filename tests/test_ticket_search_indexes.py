"""The ticket search on PostgreSQL can be answered from the pg_trgm indexes: every arm of its text condition is on
the tickets table (number, title by trigram; the customers' tickets by customer_id). Speed is bench/search.py's."""

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from engine.db import db
from engine.directory import users
from engine.search import tickets as ticket_search
from tests.web_data import red_ticket

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


def plan(q: str) -> str:
    query = ticket_search._matching(users.by_username("supervisor"), ticket_search.TicketFilter(q=q).checked(),
                                    ZoneInfo("UTC"))
    sql = str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    db.session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
    return "\n".join(row[0] for row in db.session.execute(text("EXPLAIN " + sql.replace("%%", "%"))))


def test_the_trigram_indexes_exist_and_the_search_reads_them(app):
    red_ticket("Leased line down")
    names = set(db.session.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'tickets'")))
    assert {"ix_tickets_number_trgm", "ix_tickets_title_trgm"} <= names
    shown = plan("leased")
    assert "ix_tickets_title_trgm" in shown and "ix_tickets_number_trgm" in shown
    assert "Seq Scan on tickets" not in shown
    db.session.rollback()
