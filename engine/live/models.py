"""live_events: short-lived rows for the live notices; not ticket history (that is ticket_events), purged after
an hour."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.functions import FunctionElement

from engine.db import db

KINDS = ("queued", "assigned", "warning", "breach")


class current_txid(FunctionElement):  # noqa: N801  (a SQL function, named as one)
    """The writing transaction's id, evaluated by the INSERT: PostgreSQL's own; 0 on SQLite."""

    type = BigInteger()
    inherit_cache = True


@compiles(current_txid)
def _no_transaction_ids(_element, _compiler, **_kw) -> str:
    return "0"


@compiles(current_txid, "postgresql")
def _postgres_transaction_id(_element, _compiler, **_kw) -> str:
    return "CAST(CAST(pg_current_xact_id() AS TEXT) AS BIGINT)"


class LiveEvent(db.Model):
    """Something that just happened to a task that its people should see at once: it arrived in a role's queue
    (``queued``), was handed to a person (``assigned``), or its SLA clock warned (``warning``) or breached
    (``breach``). ``role`` and ``assignee_id`` say whose it was at that moment; ``actor_id`` who caused it (they
    are not told of their own step).

    ``txid`` orders the rows as their transactions became visible: on PostgreSQL the writing transaction's id (a
    reader takes only rows of transactions older than every one still running, so a row committed late is never
    passed over); on SQLite 0, where one writer at a time commits the ids in order (AUTOINCREMENT: an id is never
    reused, not even once every row is purged).

    Like the report facts (engine/report_facts.py), it names its task and people by id without foreign keys: a
    row written by the step that touched them, purged within the hour, needs no lookup of each to be checked."""

    __tablename__ = "live_events"
    __table_args__ = (Index("ix_live_events_position", "txid", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, default=current_txid())
    kind: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[int]
    role: Mapped[str] = mapped_column(String(32))
    assignee_id: Mapped[int | None]
    actor_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(index=True)
