"""What KeyDesk's timer scheduler costs when nothing is due, how fast it fires a pile of due timers, and how late.

Every BPMN timer a ticket waits on is a row in ``timers``. The scheduler's job (``engine.scheduler.start``) runs
``sweep()`` (claim the most overdue armed row, fire it in one step, repeat; at most ``BATCH`` per run) and then
``next_wake()`` (the next due time, capped at one second) to decide when to run again. The test process is
``tests/bpmn_samples.simple`` with a timer step: start -> intermediate timer -> user task 'work' -> end. It runs in
three phases, each on its own fresh database, one after the other, in this process:

idle    One scheduler pass (app context, ``sweep()``, ``next_wake()``, ``db.session.remove()``, as the job does it)
        while N timers are armed and none is due, for N = 1,000, 10,000 and ``--armed`` (100,000). One real ticket
        is started through the engine (its own timer is due in 30 days); the other N - 1 armed rows are
        bulk-inserted straight into ``timers`` (kind 'bpmn', due 10 years ahead, all pointing at that one ticket),
        not made through the engine. On PostgreSQL ``ANALYZE timers`` runs after each insert (as autovacuum would).
burst   ``--burst`` tickets (10,000) are started through the engine with ``engine.clock.now`` patched to a day ago,
        so that once the real clock is back all their PT1M timers are overdue at once (setup, not timed: its
        connections skip waiting for the disk on commit and are thrown away before the timed part). Then ``sweep()``
        is called, each call in its own app context as the job does, until it fires nothing more; that loop is what
        is timed, with each sweep's ms/timer on stderr (does firing slow down as the backlog drains?).
        Afterwards every ticket is checked: one open 'work' task, one ``timer_fired`` history line, its timer row
        fired and none left armed. The check's result is printed; the figures mean nothing if it failed.
lag     The real scheduler (``engine.scheduler.start(app)``, real clock, APScheduler thread) runs while this thread
        starts 5 tickets a second for ``--lag-seconds`` (60) through the engine, so their PT5S timers fall due spread
        over that time, while tickets are being started. When all have fired (or 30 s after the last was due) the
        scheduler stops and the lag ``fired_at - due_at`` of each timer row is read.

Reading the figures
    armed           timers in state 'armed' during the idle passes (1 real + bulk rows).
    pass p50/p95    median and 95th percentile of one whole pass in ms (after warm-up passes). The timer queries are
                    index look-ups (``ix_timers_armed_due``), so this should not grow with the number armed; if it
                    does, a query scans. sweep and next_wake are the medians of the two parts; SQL/pass counts the
                    statements one pass sends (a pass with nothing due: one claim query, one min() query).
    timers/s        due timers fired per second of wall time of the sweep loop (ms/timer is its inverse). One timer
                    is one engine step: claim the row, load the ticket's workflow from JSON, fire, sync tasks and
                    timers, save, commit. sweeps = how many ``sweep()`` calls it took (each fires at most BATCH);
                    SQL/timer = statements sent per fired timer (PostgreSQL batches the two history INSERTs into one).
    lag             ``fired_at - due_at`` per timer row. ``fired_at`` is taken inside the firing step, before its
                    commit. The job wakes 1 ms after the next due time (timers fire strictly after it), so the floor
                    is ~1 ms plus one firing; starting tickets in the other thread competes for the GIL and, on
                    SQLite, the write lock. "job runs" counts the timer job's runs during the phase (one per due
                    time, plus at least one a second while idle). "not fired" must be 0: if not, the timer job
                    stopped rescheduling itself (APScheduler's warnings, e.g. a run "missed by", go to stderr).

The figures move with the machine, the disk (SQLite fsyncs on every commit) and whatever else runs there: compare
runs on the same machine, not against a fixed number. Nothing is asserted on time.

    .venv/bin/python bench/timers.py                      # temporary SQLite files, ~3.5 minutes on 2 cores
    .venv/bin/python bench/timers.py --armed 10000 --burst 1000 --lag-seconds 10     # a quick look
    .venv/bin/python bench/timers.py --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench_timers
    .venv/bin/python bench/timers.py --profile            # also cProfile the burst's sweep loop

A given database is wiped before each phase: SQLite tables are dropped and recreated, PostgreSQL's public schema is
dropped and recreated (the PostgreSQL database itself is created when missing).
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, pct, print_profile, table  # isort: skip

import argparse  # noqa: E402
import cProfile  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import clock, deployments, scheduler, tickets  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import users  # noqa: E402
from engine.models import HumanTask, Ticket, TicketEvent, Timer  # noqa: E402
from tests.bpmn_samples import TIMER_STEP, simple  # noqa: E402

DEFAULT_ARMED = 100_000
DEFAULT_BURST = 10_000
DEFAULT_LAG_SECONDS = 60
DEFAULT_PASSES = 300
WARMUP_PASSES = 20
ARMED_SIZES = (1_000, 10_000)  # shown below --armed, to see whether a pass grows with the number armed
INSERT_CHUNK = 10_000
LAG_RATE = 5  # tickets started per second in the lag phase
LAG_WAIT = 5  # seconds each lag ticket's timer waits
LAG_TIMER = f"PT{LAG_WAIT}S"
LAG_GRACE = 30  # seconds to wait past the last due time before giving up on a timer
PROGRESS_EVERY = 1_000


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# --- databases -----------------------------------------------------------------------------------------------------

def fresh_timer_app(url: str, key: str, duration: str):
    """An app on an emptied database with the demo data and one timer process (`key`, waiting `duration`)."""
    app = fresh_app(url)
    with app.app_context():
        deployments.deploy(users.by_username("supervisor"), simple(key=key, step=TIMER_STEP.replace(
            "{duration}", duration)))
    return app


def let_go(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def counting_statements(app) -> list[int]:
    """A one-element list that counts the SQL statements the app's engine sends from now on."""
    count = [0]
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *_: count.__setitem__(0, count[0] + 1))
    return count


# --- 1. idle passes ------------------------------------------------------------------------------------------------

def one_pass(app, laps: dict[str, list[float]] | None) -> None:
    """One run of the scheduler's timer job body with nothing due, timed whole and by part."""
    started = time.perf_counter()
    with app.app_context():
        handled = scheduler.sweep()
        swept = time.perf_counter()
        scheduler.next_wake()
        woke = time.perf_counter()
        db.session.remove()
    ended = time.perf_counter()
    expect(handled == 0, f"idle: a pass fired {handled} timers, none should be due")
    if laps is not None:
        laps["pass"].append((ended - started) * 1000)
        laps["sweep"].append((swept - started) * 1000)
        laps["next_wake"].append((woke - swept) * 1000)


def arm_bulk(count: int, ticket_id: int, first: int) -> None:
    """Insert `count` armed BPMN timer rows due ten years ahead (a second apart) for one ticket, in chunks."""
    base = clock.now() + timedelta(days=3650)
    now = clock.now()
    for start in range(0, count, INSERT_CHUNK):
        rows = [{"ticket_id": ticket_id, "kind": "bpmn", "spiff_task_id": str(uuid.uuid4()), "element_id": "step",
                 "due_at": base + timedelta(seconds=first + i), "state": "armed", "created_at": now}
                for i in range(start, min(start + INSERT_CHUNK, count))]
        db.session.execute(insert(Timer), rows)
        db.session.commit()
    if is_postgres():
        db.session.execute(text("ANALYZE timers"))
        db.session.commit()


def idle_phase(url: str, largest: int, passes: int) -> list[dict]:
    app = fresh_timer_app(url, "bench_idle", "P30D")
    with app.app_context():
        ticket_id = tickets.start_ticket(users.by_username("agent"), "bench_idle", "Idle timer").id
    statements = counting_statements(app)
    results = []
    for size in sorted({s for s in ARMED_SIZES if s < largest} | {largest}):
        with app.app_context():
            armed = db.session.scalar(select(func.count()).where(Timer.state == "armed"))
            started = time.perf_counter()
            arm_bulk(size - armed, ticket_id, armed)
            inserted = time.perf_counter() - started
            armed = db.session.scalar(select(func.count()).where(Timer.state == "armed"))
        expect(armed == size, f"idle: {armed} timers armed, wanted {size}")
        for _ in range(WARMUP_PASSES):
            one_pass(app, None)
        laps: dict[str, list[float]] = {"pass": [], "sweep": [], "next_wake": []}
        before = statements[0]
        for _ in range(passes):
            one_pass(app, laps)
        results.append({"armed": size, "laps": laps, "sql": (statements[0] - before) / passes})
        progress(f"idle    {size:,} armed (inserted in {inserted:.1f} s): {passes} passes, "
                 f"median {statistics.median(laps['pass']):.2f} ms")
    let_go(app)
    return results


# --- 2. burst ------------------------------------------------------------------------------------------------------

def _commit_without_waiting_for_disk(dbapi_connection, _record) -> None:
    """Setup only: SQLite stops syncing the WAL on each commit, PostgreSQL stops waiting for its WAL flush."""
    cursor = dbapi_connection.cursor()
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor.execute("PRAGMA synchronous=NORMAL")
    else:
        cursor.execute("SET synchronous_commit TO off")
        dbapi_connection.commit()
    cursor.close()


def create_overdue_tickets(app, count: int) -> None:
    """Start `count` tickets with the clock a day behind: their PT1M timers are long overdue on the real clock.

    This is setup, not measured: to save time its connections do not wait for the disk on commit. They are thrown
    away afterwards, so the timed firing runs on new connections with the product's settings.
    """
    with app.app_context():
        db.engine.dispose()
        event.listen(db.engine, "connect", _commit_without_waiting_for_disk)
    real_now = clock.now
    clock.now = lambda: real_now() - timedelta(days=1)
    try:
        started = time.perf_counter()
        for i in range(1, count + 1):
            with app.app_context():
                tickets.start_ticket(users.by_username("agent"), "bench_burst", f"Burst {i}")
            if i % PROGRESS_EVERY == 0 or i == count:
                elapsed = time.perf_counter() - started
                progress(f"burst   started {i:,}/{count:,} tickets ({i / elapsed:.0f}/s)")
    finally:
        clock.now = real_now
        with app.app_context():
            db.session.remove()
            event.remove(db.engine, "connect", _commit_without_waiting_for_disk)
            db.engine.dispose()


def check_burst(app, count: int) -> str:
    """Did every ticket's timer fire exactly once? Returns the line to print."""
    with app.app_context():
        ids = set(db.session.scalars(select(Ticket.id)))
        open_work = dict(db.session.execute(
            select(HumanTask.ticket_id, func.count()).where(HumanTask.element_id == "work", HumanTask.state == "open")
            .group_by(HumanTask.ticket_id)).all())
        fired_lines = dict(db.session.execute(
            select(TicketEvent.ticket_id, func.count()).where(TicketEvent.kind == "timer_fired")
            .group_by(TicketEvent.ticket_id)).all())
        states = dict(db.session.execute(select(Timer.state, func.count()).group_by(Timer.state)).all())
        rows_fired = dict(db.session.execute(
            select(Timer.ticket_id, func.count()).where(Timer.state == "fired").group_by(Timer.ticket_id)).all())
        db.session.remove()
    good = sum(1 for i in ids if open_work.get(i) == 1 and fired_lines.get(i) == 1 and rows_fired.get(i) == 1)
    ok = len(ids) == count and good == count and set(states) == {"fired"}
    shown = ", ".join(f"{n:,} {state}" for state, n in sorted(states.items()))
    return (f"check: {'OK' if ok else 'FAILED'} - {good:,} of {count:,} tickets fired exactly once (one open 'work' "
            f"task, one timer_fired line, one fired timer row each; {len(ids):,} tickets in all); timer rows: {shown}")


def burst_phase(url: str, count: int, profiler: cProfile.Profile | None) -> dict:
    app = fresh_timer_app(url, "bench_burst", "PT1M")
    create_overdue_tickets(app, count)
    with app.app_context():
        due = db.session.scalar(select(func.count()).where(Timer.state == "armed", Timer.due_at < clock.now()))
        db.session.remove()
    expect(due == count, f"burst: {due} timers are due, wanted {count}")
    statements = counting_statements(app)
    sweeps, fired = 0, 0
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    while True:
        lap = time.perf_counter()
        with app.app_context():
            handled = scheduler.sweep()
            db.session.remove()
        sweeps += 1
        fired += handled
        if handled == 0:
            break
        each = (time.perf_counter() - lap) * 1000 / handled
        progress(f"burst   sweep {sweeps}: fired {handled} ({each:.2f} ms/timer)")
    wall = time.perf_counter() - started
    if profiler:
        profiler.disable()
    progress(f"burst   fired {fired:,} timers in {wall:.1f} s ({sweeps} sweeps)")
    result = {"timers": count, "fired": fired, "sweeps": sweeps, "wall": wall, "sql": statements[0],
              "check": check_burst(app, count)}
    let_go(app)
    return result


# --- 3. lag under the real scheduler -------------------------------------------------------------------------------

def lag_phase(url: str, seconds: float) -> dict:
    app = fresh_timer_app(url, "bench_lag", LAG_TIMER)
    count = max(1, round(seconds * LAG_RATE))
    job_runs = [0]
    real_sweep = scheduler.sweep

    def counted_sweep(*args, **kwargs):  # the job looks `sweep` up at each run, so this counts its runs
        job_runs[0] += 1
        return real_sweep(*args, **kwargs)

    scheduler.sweep = counted_sweep
    running = scheduler.start(app)
    try:
        started = time.perf_counter()
        for i in range(count):
            pause = started + i / LAG_RATE - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            with app.app_context():
                tickets.start_ticket(users.by_username("agent"), "bench_lag", f"Lag {i + 1}")
            if (i + 1) % (LAG_RATE * 10) == 0 or i + 1 == count:
                progress(f"lag     started {i + 1}/{count} tickets")
        deadline = time.monotonic() + LAG_WAIT + LAG_GRACE
        while True:
            with app.app_context():
                armed = db.session.scalar(select(func.count()).where(Timer.state == "armed"))
                db.session.remove()
            if armed == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.25)
    finally:
        running.shutdown(wait=True)
        scheduler.sweep = real_sweep
    spread = time.perf_counter() - started
    with app.app_context():
        rows = db.session.execute(select(Timer.due_at, Timer.fired_at).where(Timer.kind == "bpmn")).all()
        db.session.remove()
    lags = sorted((fired - due).total_seconds() * 1000 for due, fired in rows if fired is not None)
    progress(f"lag     {len(lags)}/{count} timers fired, {job_runs[0]} job runs")
    let_go(app)
    return {"timers": count, "rows": len(rows), "lags": lags, "job_runs": job_runs[0], "wall": spread,
            "seconds": seconds}


# --- printing ------------------------------------------------------------------------------------------------------

def report(idle: list[dict], burst: dict | None, lag: dict | None, database: str, passes: int) -> None:
    print(f"KeyDesk timer benchmark - database {database}")
    print()
    print(f"1. idle pass: one sweep() + next_wake() with no timer due ({passes} passes after {WARMUP_PASSES} warm-up)")
    print(table(["armed", "pass p50 ms", "pass p95 ms", "sweep p50 ms", "next_wake p50 ms", "SQL/pass"], [
        [f"{r['armed']:,}", f"{statistics.median(r['laps']['pass']):.2f}", f"{pct(r['laps']['pass'], 95):.2f}",
         f"{statistics.median(r['laps']['sweep']):.2f}", f"{statistics.median(r['laps']['next_wake']):.2f}",
         f"{r['sql']:.0f}"] for r in idle]))
    if burst:
        print()
        print(f"2. burst: {burst['timers']:,} timers overdue at once, fired by repeated sweep() "
              f"(at most {scheduler.BATCH} per call)")
        print(table(["timers", "fired", "sweeps", "wall s", "timers/s", "ms/timer", "SQL/timer"], [[
            f"{burst['timers']:,}", f"{burst['fired']:,}", f"{burst['sweeps']}", f"{burst['wall']:.1f}",
            f"{burst['fired'] / burst['wall']:.0f}", f"{burst['wall'] * 1000 / max(burst['fired'], 1):.2f}",
            f"{burst['sql'] / max(burst['fired'], 1):.1f}"]]))
        print(burst["check"])
    if lag:
        lags = lag["lags"]
        print()
        print(f"3. lag: real scheduler, {lag['timers']} tickets started over {lag['seconds']:g} s "
              f"({LAG_RATE}/s), each waiting {LAG_TIMER}; lag = fired_at - due_at")
        print(table(["timers", "fired", "not fired", "lag p50 ms", "lag p99 ms", "lag max ms", "job runs"], [[
            f"{lag['timers']}", f"{len(lags)}", f"{lag['timers'] - len(lags)}",
            *([f"{statistics.median(lags):.1f}", f"{pct(lags, 99):.1f}", f"{lags[-1]:.1f}"] if lags else ["-"] * 3),
            f"{lag['job_runs']}"]]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", metavar="URL",
                        help="SQLAlchemy URL to run on (wiped first); default: temporary SQLite files")
    parser.add_argument("--armed", type=int, default=DEFAULT_ARMED, metavar="N",
                        help=f"largest number of armed timers for the idle passes (default {DEFAULT_ARMED:,})")
    parser.add_argument("--passes", type=int, default=DEFAULT_PASSES, metavar="N",
                        help=f"timed idle passes per size (default {DEFAULT_PASSES})")
    parser.add_argument("--burst", type=int, default=DEFAULT_BURST, metavar="N",
                        help=f"timers due at once in the burst (default {DEFAULT_BURST:,}; 0 skips it)")
    parser.add_argument("--lag-seconds", type=float, default=DEFAULT_LAG_SECONDS, metavar="S",
                        help=f"how long tickets are started for in the lag phase (default {DEFAULT_LAG_SECONDS}; "
                             "0 skips it)")
    parser.add_argument("--profile", action="store_true", help="also cProfile the burst's sweep loop and print the top")
    args = parser.parse_args(argv)
    if args.armed < 1 or args.passes < 1 or args.burst < 0 or args.lag_seconds < 0:
        parser.error("--armed and --passes must be at least 1, --burst and --lag-seconds not negative")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    logging.basicConfig(level=logging.WARNING, format="  %(name)s: %(message)s")  # APScheduler's misfire warnings

    with tempfile.TemporaryDirectory(prefix="keydesk-bench-") as tmp:
        os.environ.setdefault("KEYDESK_INSTANCE", str(Path(tmp) / "instance"))  # keep secret_key out of the repo
        urls = {name: args.database or f"sqlite:///{Path(tmp) / name}.db" for name in ("idle", "burst", "lag")}
        shown = make_url(urls["idle"]).render_as_string(hide_password=True) if args.database else "SQLite (temp file)"
        profiler = cProfile.Profile() if args.profile and args.burst else None

        idle = idle_phase(urls["idle"], args.armed, args.passes)
        burst = burst_phase(urls["burst"], args.burst, profiler) if args.burst else None
        lag = lag_phase(urls["lag"], args.lag_seconds) if args.lag_seconds else None

    report(idle, burst, lag, shown, args.passes)
    if profiler:
        print_profile(profiler, f"cProfile of the burst's sweep loop ({burst['fired']:,} timers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
