"""How a process uses its database connections (engine/db.py, web/__init__.py): a pool as large as the requests it
serves at once, and transactions that only read end without forgetting the connection's prepared statements."""

import pytest
from sqlalchemy import func, select, text

from engine.db import db
from engine.models import Ticket, User
from tests.web_data import red_ticket

POSTGRES = pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])


def prepared_statements() -> int:
    """How many statements this session's connection has prepared on the server."""
    return db.session.scalar(text("SELECT count(*) FROM pg_prepared_statements"))


def read_in_transactions_ended_by_rollback(times: int) -> None:
    for _ in range(times):
        db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True)))
        db.session.rollback()


@POSTGRES
def test_a_read_that_runs_often_is_prepared_although_each_of_its_transactions_ends_in_a_rollback(app):
    read_in_transactions_ended_by_rollback(6)  # psycopg prepares a statement at its fifth run on a connection
    assert prepared_statements() >= 1


@POSTGRES
def test_a_rolled_back_transaction_that_wrote_undoes_its_writes(app):
    ticket = red_ticket()
    db.session.commit()
    title = ticket.title
    db.session.execute(text("UPDATE tickets SET title = 'changed' WHERE id = :id"), {"id": ticket.id})
    db.session.rollback()
    assert db.session.scalar(select(Ticket.title).where(Ticket.id == ticket.id)) == title
    db.session.execute(text("SELECT 1"))  # a read after the write does not make the transaction a reading one
    db.session.execute(text("UPDATE tickets SET title = 'changed' WHERE id = :id"), {"id": ticket.id})
    db.session.scalar(select(Ticket.title).where(Ticket.id == ticket.id))
    db.session.rollback()
    assert db.session.scalar(select(Ticket.title).where(Ticket.id == ticket.id)) == title


@POSTGRES
def test_a_write_inside_a_statement_that_begins_with_with_counts_as_a_write(app):
    ticket = red_ticket()
    db.session.commit()
    db.session.execute(text("WITH changed AS (UPDATE tickets SET title = 'changed' WHERE id = :id RETURNING id) "
                            "SELECT count(*) FROM changed"), {"id": ticket.id})
    db.session.rollback()
    assert db.session.scalar(select(Ticket.title).where(Ticket.id == ticket.id)) == ticket.title


@POSTGRES
def test_a_failed_read_rolls_back_and_the_connection_works_on(app):
    with pytest.raises(Exception, match="division by zero"):
        db.session.execute(text("SELECT 1 / 0"))
    db.session.rollback()
    assert db.session.scalar(text("SELECT 2")) == 2


@pytest.mark.parametrize(("backend", "pool"), [pytest.param("postgres", 32, marks=pytest.mark.postgres),
                                               ("sqlite", None)])
def test_a_database_server_gets_a_pool_as_large_as_the_requests_served_at_once(app, backend, pool):
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options.get("pool_size") == pool
    if pool:
        assert db.engine.pool.size() == pool
