"""Any number of timer workers on one PostgreSQL database: each timer fires exactly once.

The workers are real processes (the 'spawn' start method, so nothing is shared with the test but the
database), each with its own app and connection pool, each running the production sweep. The claim
``SELECT … FOR UPDATE SKIP LOCKED`` in the firing transaction is what keeps them apart; these tests
check the result in the database, not the mechanism.
"""

import multiprocessing
import os
import queue
import signal
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from engine import clock, deployments, scheduler, tickets, timers
from engine.db import db
from engine.directory import users
from engine.models import HumanTask, Ticket, TicketEvent, Timer
from tests import worker_process
from tests.bpmn_samples import TIMER_STEP, simple

pytestmark = pytest.mark.postgres

PROCESS = "waits"
WAITING = simple(key=PROCESS, step=TIMER_STEP.replace("{duration}", "PT1M"))
DEADLINE = 40  # seconds for any one phase of the workers (start, sweep); a healthy run takes a few


@pytest.fixture
def backend():
    """PostgreSQL only: SQLite has one writer, so it runs one worker."""
    return "postgres"


@pytest.fixture
def overdue(app, monkeypatch):
    """Start n tickets of the timer process an hour ago: against the real clock every timer is long due."""
    def start(n: int) -> list[int]:
        deployments.deploy(users.by_username("supervisor"), WAITING)
        agent = users.by_username("agent")
        an_hour_ago = clock.now() - timedelta(hours=1)
        with monkeypatch.context() as patch:
            patch.setattr(clock, "now", lambda: an_hour_ago)
            ids = [tickets.start_ticket(agent, PROCESS, f"waits {i}").id for i in range(n)]
        assert timer_states() == {"armed": n}
        return ids

    return start


def timer_states() -> dict[str, int]:
    """How many timer rows are in each state (columns, not ORM objects: always read fresh)."""
    return dict(db.session.execute(select(Timer.state, func.count()).group_by(Timer.state)).all())


def per_ticket(model, condition) -> dict[int, int]:
    """How many rows of `model` (TicketEvent, HumanTask) meet `condition`, per ticket that has any."""
    query = select(model.ticket_id, func.count()).where(condition).group_by(model.ticket_id)
    return dict(db.session.execute(query).all())


def assert_fired_once_each(ticket_ids: list[int]) -> None:
    """Every timer fired, none twice: one timer_fired line and one 'work' task per ticket, nothing armed."""
    assert timer_states() == {"fired": len(ticket_ids)}
    expected = dict.fromkeys(ticket_ids, 1)
    assert per_ticket(TicketEvent, TicketEvent.kind == "timer_fired") == expected
    assert per_ticket(HumanTask, HumanTask.element_id == "work") == expected
    assert db.session.scalar(select(func.count()).where(Ticket.status != "open")) == 0


def lock_waits() -> list[tuple]:
    """The database's sessions that wait on a lock, with their statements: what a hung worker is stuck on."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT pid, left(query, 120) FROM pg_stat_activity "
                                 "WHERE datname = current_database() AND wait_event_type = 'Lock'")).all()


@contextmanager
def spawned_workers(app, tmp_path, count: int):
    """Start `count` worker processes, wait until all are connected, then let them go at once.

    Yields a function that waits for their reports and returns {worker name: timers fired}. Every
    wait is bounded: a worker that hangs or crashes fails the test with its name and traceback, and
    no process outlives the test.
    """
    ctx = multiprocessing.get_context("spawn")
    go, reports = ctx.Event(), ctx.Queue()
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    processes = {f"worker-{i}": ctx.Process(target=worker_process.run, name=f"worker-{i}", daemon=True,
                                            args=(f"worker-{i}", uri, str(tmp_path / "instance"), go, reports,
                                                  DEADLINE))
                 for i in range(count)}

    def collect(kind: str) -> dict[str, tuple]:
        found, deadline = {}, time.monotonic() + DEADLINE
        while len(found) < count:
            try:
                report = reports.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                report = None
            if report is None:
                silent = sorted(set(processes) - set(found))
                pytest.fail(f"no {kind!r} report within {DEADLINE} s from {silent}; "
                            f"alive: {[n for n in silent if processes[n].is_alive()]}; "
                            f"sessions waiting on a lock: {lock_waits()}")
            if report[0] == "error":
                pytest.fail(f"{report[1]} failed:\n{report[2]}")
            assert report[0] == kind, report
            found[report[1]] = report[2:]
        return found

    def results() -> dict[str, int]:
        done = collect("done")
        for process in processes.values():
            process.join(timeout=DEADLINE)
        assert all(p.exitcode == 0 for p in processes.values()), {n: p.exitcode for n, p in processes.items()}
        return {name: fired for name, (fired, _sweeps) in done.items()}

    try:
        for process in processes.values():
            process.start()
        collect("ready")
        go.set()
        yield results
    finally:
        for process in processes.values():
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        reports.close()


def test_four_workers_fire_each_of_300_timers_exactly_once(app, tmp_path, overdue):
    """Four workers race over 300 due timers: the database shows each fired once, and the workers agree.

    The workers' own counts are checked too: a timer fired twice whose second firing changed nothing
    visible would still show up there. They start together, connected, on a go signal, so that sharing
    the work does not hang on how fast each interpreter imports; in runs so far each fired 54 to 94
    (300 firings take seconds, process start-up about one), so "at least two" is far from flaky.
    """
    ticket_ids = overdue(300)
    with spawned_workers(app, tmp_path, 4) as results:
        fired = results()
    db.session.expire_all()
    assert_fired_once_each(ticket_ids)
    assert sum(fired.values()) == len(ticket_ids), fired
    assert sum(1 for n in fired.values() if n > 0) >= 2, f"one worker did all the work: {fired}"


def test_a_timer_held_by_a_dead_worker_is_fired_later_exactly_once(app, tmp_path, overdue):
    """A worker that dies mid-step holds its row lock until its connection goes, then the timer is up for grabs.

    The test itself plays the dying worker: it claims the most overdue timer and sits on the lock while
    a real worker sweeps, then rolls back, as PostgreSQL does for a connection that dropped.
    """
    ticket_ids = overdue(20)
    held = timers.claim_next(set())  # the transaction stays open: the row stays locked
    held_id, held_ticket = held.id, held.ticket_id
    with spawned_workers(app, tmp_path, 1) as results:
        assert sum(results().values()) == len(ticket_ids) - 1  # went idle without waiting on the lock
    assert timer_states() == {"fired": len(ticket_ids) - 1, "armed": 1}
    assert db.session.scalar(select(Timer.state).where(Timer.id == held_id)) == "armed"
    assert held_ticket not in per_ticket(TicketEvent, TicketEvent.kind == "timer_fired")

    db.session.rollback()  # the dead worker's transaction is gone, and its lock with it
    assert scheduler.sweep() == 1
    assert scheduler.sweep() == 0
    db.session.expire_all()
    assert_fired_once_each(ticket_ids)


def fired_so_far() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(select(func.count()).where(Timer.state == "fired"))


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE} s: {what}")
        time.sleep(0.01)


def busy_sessions() -> int:
    """Sessions on the database, other than this one, in a transaction or a statement: a killed worker's lingers
    until PostgreSQL sees its socket close and rolls it back."""
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                "AND pid <> pg_backend_pid() AND state <> 'idle'"))


def test_a_worker_killed_with_sigkill_mid_sweep_leaves_every_timer_to_fire_exactly_once(app, tmp_path, overdue):
    """kill -9 of a worker while it fires 300 timers: what it committed stays fired, what it was in the middle
    of is rolled back with its connection, and a worker started afterwards fires exactly the rest."""
    ticket_ids = overdue(300)
    db.session.rollback()
    ctx = multiprocessing.get_context("spawn")
    go, reports = ctx.Event(), ctx.Queue()
    doomed = ctx.Process(target=worker_process.run, name="doomed", daemon=True,
                         args=("doomed", app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path / "instance"), go,
                               reports, DEADLINE))
    doomed.start()
    try:
        assert reports.get(timeout=DEADLINE)[0] == "ready"
        go.set()
        wait_for(lambda: fired_so_far() >= 30, "the worker fired 30 timers")
        os.kill(doomed.pid, signal.SIGKILL)
        doomed.join(timeout=DEADLINE)
    finally:
        if doomed.is_alive():
            doomed.kill()
        reports.close()
    assert doomed.exitcode == -signal.SIGKILL
    wait_for(lambda: busy_sessions() == 0, "the killed worker's session is gone")
    fired_before = fired_so_far()
    assert 30 <= fired_before < len(ticket_ids), "the kill came after the worker had finished"

    with spawned_workers(app, tmp_path, 1) as results:
        assert sum(results().values()) == len(ticket_ids) - fired_before
    db.session.expire_all()
    assert_fired_once_each(ticket_ids)
