"""The SQLAlchemy handle and the column types every model shares."""

import sqlite3
from datetime import UTC, datetime

from flask_sqlalchemy import SQLAlchemy
from psycopg.pq import TransactionStatus
from sqlalchemy import JSON, DateTime, Engine, MetaData, event, inspect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, registry
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Stores aware datetimes in UTC and gives them back aware, also on SQLite (which drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: KeyDesk stores aware UTC datetimes only")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING),
                        type_annotation_map={datetime: UTCDateTime, dict: JSON, list: JSON})


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite: enforce foreign keys, let readers and the writer work side by side, wait on a busy file."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


_WROTE = "keydesk_wrote"  # connection.info: the transaction sent a statement other than a SELECT


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, _cursor, statement: str, *_) -> None:
    if statement.lstrip()[:6].upper() != "SELECT":
        conn.info[_WROTE] = True


@event.listens_for(Engine, "commit")
def _forget_writes(conn) -> None:
    conn.info.pop(_WROTE, None)


@event.listens_for(Engine, "rollback")
def _end_reads_with_commit(conn) -> None:
    """A transaction that only read (a page, a list, a refused step) ends with COMMIT, not ROLLBACK: the same for
    the database, but psycopg forgets a connection's prepared statements at every ROLLBACK, so PostgreSQL planned
    every statement of every request afresh (about 2 ms for reading a task to complete). Kept, a statement that a
    connection runs for the fifth time is prepared and planned no more (psycopg's prepare_threshold)."""
    if conn.info.pop(_WROTE, False) or conn.dialect.name != "postgresql":
        return
    dbapi = conn.connection.dbapi_connection
    if dbapi is not None and dbapi.info.transaction_status == TransactionStatus.INTRANS:
        dbapi.commit()  # the rollback that follows finds no transaction and leaves the statements alone


_READS = "keydesk_transaction_reads"  # session.info: what per_transaction read in the current transaction


def per_transaction(key: tuple, read):
    """``read()``'s answer, read once per transaction and key: a step asks some things several times (a ticket's
    armed timers, its promise clocks). Holding the answer also keeps its objects from being garbage-collected out
    of the session and read again. The next transaction reads afresh."""
    known = db.session.info.setdefault(_READS, {})
    if key not in known:
        known[key] = read()
    return known[key]


def answered(key: tuple, value) -> None:
    """Give ``per_transaction``'s answer for ``key`` before anything asks: a statement read it along with
    something else (a step's task comes with its ticket's armed timers, promise clocks and waiting tasks)."""
    db.session.info.setdefault(_READS, {}).setdefault(key, value)


@event.listens_for(Session, "after_transaction_end")
def _forget_reads(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_READS, None)


@event.listens_for(Session, "after_flush")
def _forget_flushed(session: Session, _context) -> None:
    """Rows written by a flush are in the database, no longer among the session's new objects: read again."""
    session.info.pop(_READS, None)


def columns_of(instance) -> dict:
    """The instance's column values as plain data, its deferred ones left out: what a copy kept per process holds
    (engine.config_cache), to be taken into any session with ``stored_copy``."""
    return {attr.key: getattr(instance, attr.key) for attr in inspect(type(instance)).column_attrs
            if not attr.deferred}


def stored_copy(cls: type, values: dict, **related):
    """A detached instance of ``cls`` holding ``values`` (and ``related`` objects) as if read from its row, for
    ``session.merge(..., load=False)`` to take in without a statement. The values are set as loaded: no change
    events, nothing for the merge to compare, a third cheaper than the constructor. What is not given (a deferred
    column) loads on first use."""
    instance = cls.__mapper__.class_manager.new_instance()
    for key, value in {**values, **related}.items():
        set_committed_value(instance, key, value)
    make_transient_to_detached(instance)
    return instance


def attached_copy(cls: type, values: dict, **related):
    """The row's object in this session without a statement: the session's own when it holds the row with nothing
    expired, else a ``stored_copy`` added to the session, or merged when the session holds the row or one of the
    ``related`` objects already (add refuses a second object of a row; merge takes the one held). add is a
    quarter cheaper than merge, and every request takes in its user and a step its process version."""
    session = db.session()
    present = session.identity_map.get(identity_key(cls, values["id"]))
    if present is not None and not inspect(present).expired_attributes:
        return present
    copy = stored_copy(cls, values, **related)
    held = [one for value in related.values() for one in (value if isinstance(value, list) else (value,))]
    if present is not None or any(inspect(one).key in session.identity_map for one in held):
        return session.merge(copy, load=False)
    session.add(copy)
    return copy
