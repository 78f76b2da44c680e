"""The append-only rows a step writes — history lines, the facts of completed tasks and decided clocks, live
events — as plain values, outside the ORM's unit of work: on PostgreSQL in one statement, elsewhere one INSERT per
table.

Nothing in a step reads these rows back as objects, and the unit of work's bookkeeping per object was the largest
share of a step's CPU (issue 17). A row is queued in the session and written with everything else the session
writes: when it flushes, when it commits (also when nothing else is to be flushed), and before an ORM query that
would autoflush, so an ORM query sees the rows queued before it as it would see added objects. A row may name an ORM
object instead of its id (``ticket_id=ticket``): the flush before the write has given the object its id. A
rollback drops what is queued. Steps use no savepoints; a row queued inside one is written with its transaction.
"""

from datetime import UTC, datetime

from sqlalchemy import JSON, Table, bindparam, event, func, insert, literal, literal_column, select
from sqlalchemy.orm import ORMExecuteState, Session

from engine.db import db

_QUEUED = "keydesk_step_rows"  # session.info: [(table, values)] not written yet
_WRITTEN = "keydesk_step_rows_written"  # session.info: [(table, values)] written in this transaction


def add(model, **values) -> None:
    """Queue one row of ``model`` (a mapped class) in the current transaction."""
    db.session.info.setdefault(_QUEUED, []).append((model.__table__, values))


def pending(model, session: Session | None = None) -> list[dict]:
    """The rows of ``model`` this transaction queued or wrote, as given: what the step did so far."""
    info = (session or db.session).info
    return [values for table, values in info.get(_WRITTEN, []) + info.get(_QUEUED, [])
            if table is model.__table__]


def _write(session: Session) -> None:
    """Insert the queued rows in the order they were queued: on PostgreSQL in one statement, elsewhere one
    statement per table (and set of columns)."""
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    batches: Batches = {}
    for table, values in queued:
        batches.setdefault((table, tuple(values)), []).append({key: _id(value) for key, value in values.items()})
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(*_one_statement(batches))
    else:
        for (table, _columns), rows in batches.items():
            connection.execute(insert(table), rows)
    session.info.setdefault(_WRITTEN, []).extend(queued)


Batches = dict[tuple[Table, tuple[str, ...]], list[dict]]


def _id(value):
    """An ORM object's id (flushed by now), any other value as it is."""
    return value.id if isinstance(value, db.Model) else value


def _one_statement(batches: Batches):
    """PostgreSQL: every batch as an INSERT … SELECT from its rows sent as one JSON array, each in a CTE of one
    statement. Its text depends only on the tables and columns, so it is compiled once and prepared by the
    server like any other statement; columns left out get their defaults as in a plain INSERT."""
    inserts, parameters = [], {}
    for n, ((table, columns), rows) in enumerate(batches.items()):
        records = func.json_populate_recordset(literal_column(f"NULL::{table.name}"),
                                               bindparam(f"rows_{n}", type_=JSON)).table_valued(*columns)
        rows_of = select(*(records.c[name] for name in columns))
        inserts.append(insert(table).from_select(columns, rows_of).cte(f"rows_{n}"))
        parameters[f"rows_{n}"] = [{key: _json_value(value) for key, value in row.items()} for row in rows]
    return select(literal(1)).add_cte(*inserts), parameters


def _json_value(value):
    """A value as JSON carries it to json_populate_recordset: times in ISO 8601 with their zone (UTC)."""
    return value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, _context) -> None:
    _write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_QUEUED):
        session.flush()  # gives the objects the rows name their ids, and writes the rows (after_flush_postexec)
        _write(session)  # when there was nothing else to flush


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """An ORM query that autoflushes sees the queued rows too: the autoflush it is about to do, done first
    (it writes the rows when anything else was to be flushed), then the rows."""
    session = state.session
    if state.is_select and state.is_orm_statement and session.autoflush and session.info.get(_QUEUED):
        session.flush()
        _write(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_WRITTEN, None)
