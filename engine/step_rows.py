"""The append-only rows a step writes — history lines, the facts of completed tasks and decided clocks, live
events — and its upserts of report facts, as plain values, outside the ORM's unit of work: on PostgreSQL in one
statement, elsewhere one INSERT per table.

Nothing in a step reads these rows back as objects, and the unit of work's bookkeeping per object was the largest
share of a step's CPU (issue 17). A row is queued in the session and written with everything else the session
writes: when it flushes, when it commits (also when nothing else is to be flushed), and before an ORM query that
would autoflush, so an ORM query sees the rows queued before it as it would see added objects. A row may name an ORM
object instead of its id (``ticket_id=ticket``): the flush before the write has given the object its id. A
rollback drops what is queued. Steps use no savepoints; a row queued inside one is written with its transaction.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import JSON, Table, bindparam, event, func, literal, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session

from engine.db import db

_QUEUED = "keydesk_step_rows"  # session.info: [Row] not written yet
_WRITTEN = "keydesk_step_rows_written"  # session.info: [Row] written in this transaction


@dataclass
class Row:
    table: Table
    values: dict
    key: str | None = None  # an upsert's key column: the row replaces the one of the same key


Shape = tuple[Table, tuple[str, ...], str | None]  # what makes rows one batch: the table, columns, upsert key


def add(model, **values) -> None:
    """Queue one row of ``model`` (a mapped class) in the current transaction."""
    db.session.info.setdefault(_QUEUED, []).append(Row(model.__table__, values))


def upsert(model, key: str, **values) -> None:
    """Queue a row of ``model`` that replaces the stored one with the same ``key`` column (or a row queued
    earlier in this transaction), else is added."""
    queued = db.session.info.setdefault(_QUEUED, [])
    earlier = next((row for row in queued if row.table is model.__table__ and row.key == key
                    and row.values[key] == values[key]), None)
    if earlier is not None:
        earlier.values = values
    else:
        queued.append(Row(model.__table__, values, key))


def pending(model, session: Session | None = None) -> list[dict]:
    """The rows of ``model`` this transaction queued or wrote, as given: what the step did so far."""
    info = (session or db.session).info
    return [row.values for row in info.get(_WRITTEN, []) + info.get(_QUEUED, []) if row.table is model.__table__]


def _write(session: Session) -> None:
    """Write the queued rows in the order they were queued: on PostgreSQL in one statement, elsewhere one
    statement per table (and set of columns)."""
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    batches: dict[Shape, list[dict]] = {}
    for row in queued:
        values = {column: _id(value) for column, value in row.values.items()}
        batches.setdefault((row.table, tuple(values), row.key), []).append(values)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_one_statement(tuple(batches)), {f"rows_{n}": [_json_values(values) for values in rows]
                                                            for n, rows in enumerate(batches.values())})
    else:
        for shape, rows in batches.items():
            connection.execute(_sqlite_statement(shape), rows)
    session.info.setdefault(_WRITTEN, []).extend(queued)


def _id(value):
    """An ORM object's id (flushed by now), any other value as it is."""
    return value.id if isinstance(value, db.Model) else value


@lru_cache(maxsize=256)
def _one_statement(shapes: tuple[Shape, ...]):
    """PostgreSQL: every batch as an INSERT … SELECT from its rows sent as one JSON array (parameter rows_<n>), each
    in a CTE of one statement; an upsert's batch ends ON CONFLICT (key) DO UPDATE. Built once per set of shapes and
    compiled once, like any other statement; columns left out get their defaults as in a plain INSERT."""
    inserts = []
    for n, (table, columns, key) in enumerate(shapes):
        records = func.json_populate_recordset(literal_column(f"NULL::{table.name}"),
                                               bindparam(f"rows_{n}", type_=JSON)).table_valued(*columns)
        writes = postgresql.insert(table).from_select(columns, select(*(records.c[name] for name in columns)))
        inserts.append(_on_conflict(writes, columns, key).cte(f"rows_{n}"))
    return select(literal(1)).add_cte(*inserts)


@lru_cache(maxsize=256)
def _sqlite_statement(shape: Shape):
    table, columns, key = shape
    return _on_conflict(sqlite.insert(table), columns, key)


def _on_conflict(writes, columns: tuple[str, ...], key: str | None):
    """An upsert's write replaces the row of its key with its columns; any other write is a plain INSERT."""
    if key is None:
        return writes
    return writes.on_conflict_do_update(index_elements=[key], set_={column: writes.excluded[column]
                                                                    for column in columns if column != key})


def _json_values(values: dict) -> dict:
    """A row as JSON carries it to json_populate_recordset: times in ISO 8601 with their zone (UTC)."""
    return {column: value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value
            for column, value in values.items()}


@event.listens_for(Session, "after_flush_postexec")
def _after_flush(session: Session, _context) -> None:
    _write(session)


def _flush_and_write(session: Session) -> None:
    """The flush gives the objects the rows name their ids and writes the rows (after_flush_postexec); when there
    was nothing else to flush, the rows are written here."""
    session.flush()
    _write(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_QUEUED):
        _flush_and_write(session)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """An ORM query that autoflushes sees the queued rows too: the autoflush it is about to do, done first."""
    session = state.session
    if state.is_select and state.is_orm_statement and session.autoflush and session.info.get(_QUEUED):
        _flush_and_write(session)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)
        session.info.pop(_WRITTEN, None)
