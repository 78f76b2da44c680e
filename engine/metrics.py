"""What the engine tells Prometheus: its steps by kind and how long each held the database, and, read from
the database when scraped, the queues: tasks waiting for a person, the outbox, the timer lag.

A step is a transaction that writes ticket history; its kind is the kind of its first history line that
is not a consequence of another (created, claimed, completed, timer_fired, sla_breached, ...). Session
events measure it, from the transaction's first statement to its commit, so every step is counted
(web, API, scheduler) without the step code knowing. A step that rolls back (a 409, a wrong value)
changed nothing and is not counted.
"""

import time
from datetime import datetime

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, Pool, event, func, select
from sqlalchemy.orm import Session

from engine import step_rows
from engine.db import db
from engine.models import ACTIVE_TASK_STATES, HumanTask, TicketEvent, Timer
from notifications.outbox import OutboxMessage

STEPS = Histogram("keydesk_engine_step_seconds",
                  "Engine steps by kind, from the transaction's first statement to its commit",
                  ["kind"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
STATEMENTS = Counter("keydesk_sql_statements", "SQL statements sent to the database")
UNSENT_STATES = ("pending", "failed")  # the backlog, and what delivery gave up on
# lines that follow from what the step did; a service task writes these while the workflow runs, before the line
# of the completion that ran it (a priority, a customer notice, a missing account manager)
CONSEQUENCES = ("task_created", "task_cancelled", "closed", "priority_changed", "customer_notified",
                "customer_not_notified", "account_manager_missing")


_UNPUBLISHED = "keydesk_statements"  # Connection.info: statements sent since the connection left the pool


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn, *_args) -> None:
    """Counted on the connection, and added to STATEMENTS when it goes back to the pool (_published): a
    multi-process counter's increment costs a lock and a file write, too much for every statement."""
    conn.info[_UNPUBLISHED] = conn.info.get(_UNPUBLISHED, 0) + 1


@event.listens_for(Pool, "checkin")
def _published(_dbapi_connection, record) -> None:
    if sent := record.info.pop(_UNPUBLISHED, 0):
        STATEMENTS.inc(sent)


@event.listens_for(Session, "after_begin")
def _began(session: Session, _transaction, _connection) -> None:
    session.info.setdefault("began", time.perf_counter())


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    began, kinds = session.info.pop("began", None), [line["kind"] for line in step_rows.pending(TicketEvent, session)]
    if kinds and began is not None:
        kind = next((k for k in kinds if k not in CONSEQUENCES), kinds[0])
        STEPS.labels(kind).observe(time.perf_counter() - began)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction) -> None:
    """A rollback or a close ends the transaction too: what it began is no step."""
    if transaction.parent is None:
        session.info.pop("began", None)


class Queues:
    """A Prometheus collector that reads the queues from the database: what every process sees alike."""

    def __init__(self, now: datetime):
        self.now = now

    def collect(self):
        tasks = GaugeMetricFamily("keydesk_open_tasks", "Tasks waiting for a person, by state", labels=["state"])
        for state, count in self._counts(HumanTask.state, ACTIVE_TASK_STATES).items():
            tasks.add_metric([state], count)
        outbox = GaugeMetricFamily("keydesk_outbox_messages",
                                   "Messages not sent: pending (the backlog) and failed (delivery gave up)",
                                   labels=["state"])
        for state, count in self._counts(OutboxMessage.state, UNSENT_STATES).items():
            outbox.add_metric([state], count)
        lag = GaugeMetricFamily("keydesk_timer_lag_seconds",
                                "How long the most overdue armed timer has been due; 0 when none is overdue")
        oldest = db.session.scalar(select(func.min(Timer.due_at)).where(Timer.state == "armed"))
        lag.add_metric([], max(0.0, (self.now - oldest).total_seconds()) if oldest else 0.0)
        return [tasks, outbox, lag]

    @staticmethod
    def _counts(column, states: tuple[str, ...]) -> dict[str, int]:
        found = dict(db.session.execute(select(column, func.count()).where(column.in_(states)).group_by(column)).all())
        return {state: found.get(state, 0) for state in states}
