"""Answers every request asks about configuration that rarely changes, kept per process and database.

The branch tree, a bearer token's user, the SLA policies, the calendars, the message templates in force, who
answers for a role (its members, rota and their channel choices) and the process versions tickets run are read by
nearly every request and engine step, and change a few times a day. Each answer is kept with the tables it was read
from and dropped:
- at once, when this process sends a statement that writes one of those tables (any statement: ORM, Core or
  raw SQL), and again when that statement's transaction ends, so that a revoked token or a moved branch is
  refused or seen by the very next request of this process;
- after ``KEYDESK_CONFIG_CACHE_SECONDS`` (default 10), so that other processes (web workers, scheduler workers)
  see a change made elsewhere within that time.
A transaction that has written one of the tables keeps nothing it reads: it may see rows that are not committed
yet; nor is an answer kept when this process dropped answers while it was being read (another thread's change
may have committed after the read began).
"""

import os
import threading
import time
import weakref
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Engine, event

from engine.db import db

TABLES = frozenset({"branches", "users", "user_roles", "api_tokens", "sla_policies", "business_calendars",
                    "calendar_days", "message_templates", "duty_rotas", "notification_preferences",
                    "process_models", "process_versions"})
_WROTE = "keydesk_config_tables_written"  # Connection.info: the cached tables this transaction has written
_READS = ("SELECT", "SHOW", "EXPLAIN", "PRAGMA", "SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")

now = time.monotonic  # tests replace it to age the answers


@dataclass(frozen=True)
class _Answer:
    value: object
    tables: frozenset[str]
    read_at: float


_answers: weakref.WeakKeyDictionary[Engine, dict[tuple, _Answer]] = weakref.WeakKeyDictionary()
_forgotten: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()  # times ``forget`` ran, per engine
_lock = threading.Lock()


def lifetime() -> float:
    """How many seconds an answer is kept at most: how late another process's change may count here."""
    return float(os.environ.get("KEYDESK_CONFIG_CACHE_SECONDS") or 10)


def cached(key: tuple, tables: frozenset[str], read, keep_none: bool = True):
    """``read()``'s answer, kept for this database until one of ``tables`` is written or it grows old.
    ``keep_none=False``: a None answer is not kept (an unknown token: a flood of them must not grow the cache)."""
    assert tables <= TABLES, f"{sorted(tables - TABLES)} are not watched for writes"
    engine = db.engine
    known = _answers.get(engine, {})
    answer = known.get(key)
    if answer is not None and now() - answer.read_at < lifetime():
        return answer.value
    forgotten = _forgotten.get(engine, 0)
    value = read()
    if (value is not None or keep_none) and not _written_here(tables):
        with _lock:
            if _forgotten.get(engine, 0) == forgotten:  # no change was committed while it read: not out of date
                _answers.setdefault(engine, {})[key] = _Answer(value, tables, now())
    return value


def _written_here(tables: frozenset[str]) -> bool:
    """Whether the session's open transaction has written one of ``tables`` (its reads may be uncommitted)."""
    if not db.session().in_transaction():
        return False
    return bool(tables & db.session.connection().info.get(_WROTE, frozenset()))


def forget(engine: Engine, tables: set[str] | frozenset[str]) -> None:
    """Drop the answers of ``engine`` read from any of ``tables``."""
    with _lock:
        _forgotten[engine] = _forgotten.get(engine, 0) + 1
        known = _answers.get(engine, {})
        for key in [key for key, answer in known.items() if answer.tables & tables]:
            del known[key]


@lru_cache(maxsize=1024)
def written_tables(statement: str) -> frozenset[str]:
    """The watched tables a statement may write: none for a plain read. Conservative: a write statement that
    names a watched table anywhere (a join, a CTE) counts as writing it. Asked before every statement, of the
    few texts the compiled statements have: each answer is kept."""
    head = statement.lstrip()[:10].upper()
    if head.startswith(_READS):
        return frozenset()
    if head.startswith("WITH") and not any(word in statement.upper() for word in _WRITES):
        return frozenset()
    return frozenset(table for table in TABLES if table in statement)


@event.listens_for(Engine, "before_cursor_execute")
def _on_statement(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    tables = written_tables(statement)
    if tables:
        conn.info.setdefault(_WROTE, set()).update(tables)
        forget(conn.engine, tables)


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _on_transaction_end(conn) -> None:
    tables = conn.info.pop(_WROTE, None)
    if tables:
        forget(conn.engine, tables)
