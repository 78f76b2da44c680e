"""How long each report takes over a year of a busy desk, on SQLite and on PostgreSQL.

The database is filled by bulk inserts straight into the tables (not through the engine: that would take hours):
``--tickets`` tickets (200,000) opened evenly over the last 365 days across the three channels, each with two human
tasks (accept, resolve) and two SLA clocks (response on the first task, resolution on the second), 2,000 customers
of every tier, 20 account managers. About 95 % of the tickets are closed; one clock in ten breached; some clocks
were paused. Ticket data carries what the processes collect (fault level, satisfaction, revisit, reopened,
retention outcome). The report facts the engine step would have written are then made by the upgrade's
backfill (engine/report_facts.py; its time is printed: what upgrading such a database costs), and ANALYZE
(on PostgreSQL VACUUM ANALYZE) runs, as autovacuum would.

Each report is then called ``--repeat`` times (5) through ``engine.reports`` as an admin, in an app context, and the
median and the fastest wall time are printed, with the rows it answered. "year" is the last 365 days, "month" the
last 30. Nothing is asserted on time; the check line says whether the figures add up (every ticket opened in the
year is counted once per day table, every decided clock once per dimension).

    .venv/bin/python bench/reports.py                          # SQLite (temp file), then PostgreSQL if reachable
    .venv/bin/python bench/reports.py --tickets 20000          # a quick look
    .venv/bin/python bench/reports.py --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench_reports

A given database is wiped first (SQLite: tables dropped; PostgreSQL: the public schema dropped).
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from sqlalchemy import JSON, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import clock, deployments, report_facts, reports  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import users  # noqa: E402
from engine.models import (  # noqa: E402
    TIERS,
    Customer,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    Ticket,
    User,
    UserRole,
)
from engine.report_range import DateRange  # noqa: E402
from tests.bpmn_samples import simple  # noqa: E402

DEFAULT_TICKETS = 200_000
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench_reports"
CUSTOMERS = 2_000
MANAGERS = 20
BATCH = 10_000
# process key, channel, role of its lanes, share of the tickets
PROCESSES = [("red_fault", "red", "tech", 0.4), ("yellow_complaint", "yellow", "manager", 0.35),
             ("green_order", "green", "agent", 0.25)]


def fill(tickets: int, seed: int = 7) -> None:
    """Bulk-insert the desk's year: customers, managers, tickets, their tasks and clocks."""
    rng = random.Random(seed)
    admin = users.by_username("admin")
    for key, channel, role, _ in PROCESSES[1:]:
        deployments.deploy(admin, simple(key=key, channel=channel, role=role), comment="benchmark")
    versions = {key: db.session.scalar(select(ProcessVersion.id).join(ProcessModel).where(ProcessModel.key == key))
                for key, *_ in PROCESSES}
    password = users.by_username("manager").password_hash
    db.session.execute(insert(User), [{"username": f"am{n:02d}", "display_name": f"Account manager {n}",
                                        "password_hash": password, "active": True, "created_at": clock.now()}
                                       for n in range(MANAGERS)])
    managers = list(db.session.scalars(select(User.id).where(User.username.like("am%"))))
    db.session.execute(insert(UserRole), [{"user_id": m, "role": "manager"} for m in managers])
    workers = {role: users.by_username(role).id for role in ("tech", "agent")}
    db.session.execute(insert(Customer), [{
        "code": f"B{n:05d}", "name": f"Customer {n}", "kind": "group", "tier": TIERS[n % len(TIERS)],
        "credit_level": "red", "account_manager_id": managers[n % MANAGERS], "created_at": clock.now()}
        for n in range(CUSTOMERS)])
    customers = list(db.session.scalars(select(Customer.id)))
    db.session.commit()

    now = clock.now()
    weights = [share for *_, share in PROCESSES]
    first_ticket = (db.session.scalar(select(func.max(Ticket.id))) or 0) + 1
    first_task = (db.session.scalar(select(func.max(HumanTask.id))) or 0) + 1
    for start in range(0, tickets, BATCH):
        rows = {"tickets": [], "tasks": [], "clocks": []}
        for n in range(start, min(start + BATCH, tickets)):
            key, channel, role, _ = rng.choices(PROCESSES, weights)[0]
            ticket_id, task_id = first_ticket + n, first_task + 2 * n
            _one_ticket(rng, rows, now - timedelta(days=365) * (1 - n / tickets), ticket_id, task_id,
                        versions[key], channel, role, rng.choice(customers),
                        rng.choice(managers) if role == "manager" else workers[role])
        bulk_insert(Ticket, rows["tickets"])
        bulk_insert(HumanTask, rows["tasks"])
        bulk_insert(SlaClock, rows["clocks"])
        db.session.commit()


def bulk_insert(model, rows: list[dict]) -> None:
    """Many rows at once: COPY on PostgreSQL (INSERTs of a thousand rows each take minutes there), executemany
    on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        db.session.execute(insert(model), rows)
        return
    columns = list(rows[0])
    as_json = {c.name for c in model.__table__.columns if isinstance(c.type, JSON)}
    cursor = db.session.connection().connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {model.__tablename__} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])


def _one_ticket(rng, rows, opened, ticket_id, task_id, version_id, channel, role, customer_id, worker) -> None:
    """A ticket with its accept and resolve tasks, a response clock on the first, a resolution clock on the second."""
    accept_claim = opened + timedelta(seconds=rng.randint(30, 1800))
    accepted = accept_claim + timedelta(seconds=rng.randint(60, 3600))
    resolved = accepted + timedelta(seconds=int(rng.lognormvariate(9, 1)))
    closed = resolved if resolved < clock.now() - timedelta(hours=1) else None
    data = {"satisfaction": rng.randint(1, 5), "revisit_done": rng.random() < 0.8, "reopened": rng.random() < 0.05}
    if channel == "red":
        data["fault_level"] = rng.choice((1, 2))
    if rng.random() < 0.05:
        data["outcome"] = rng.choice(("retained", "retained", "lost"))
    rows["tickets"].append({
        "id": ticket_id, "number": f"{channel[0].upper()}-B-{ticket_id:08d}", "channel": channel,
        "process_version_id": version_id, "customer_id": customer_id, "title": "Benchmark ticket",
        "priority": "normal", "status": "closed" if closed else "open", "creator_id": worker, "created_at": opened,
        "updated_at": closed or accepted, "closed_at": closed, "data": data, "workflow_state": "", "lock_version": 1})
    for offset, element, start, claim, done in ((0, "accept", opened, accept_claim, accepted),
                                                (1, "resolve", accepted, accepted, closed)):
        rows["tasks"].append({
            "id": task_id + offset, "ticket_id": ticket_id, "spiff_task_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "element_id": element, "name": element.capitalize(), "role": role, "assignee_id": worker,
            "state": "completed" if done else "claimed", "priority": "normal", "created_at": start,
            "due_at": start + timedelta(hours=4), "claimed_at": claim, "completed_at": done,
            "completed_by_id": worker if done else None})
    for offset, kind, start, target, stop in ((0, "response", opened, 900, accept_claim),
                                              (1, "resolution", accepted, 4 * 3600, closed)):
        due = start + timedelta(seconds=target)
        breached = rng.random() < 0.1 or (stop is None and due < clock.now())
        state = "breached" if breached else ("met" if stop else "pending")
        rows["clocks"].append({
            "ticket_id": ticket_id, "task_id": task_id + offset, "kind": kind, "target_seconds": target,
            "calendar": "24x7", "warn_percent": 80, "ladder": [], "reassign": False, "state": state,
            "started_at": start, "due_at": due, "breached_at": due if breached else None, "met_at": stop,
            "rung": 0, "paused_seconds": rng.choice((0, 0, 0, 600))})


def _vacuum_analyze() -> None:
    """What autovacuum does after bulk inserts: table statistics, and on PostgreSQL the visibility map that lets
    the reports read their indexes alone (VACUUM runs outside a transaction)."""
    if db.engine.dialect.name != "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def timed(call, repeat: int) -> tuple[list[float], reports.Report]:
    laps = []
    for _ in range(repeat):
        began = time.perf_counter()
        report = call()
        laps.append((time.perf_counter() - began) * 1000)
        db.session.rollback()
    return laps, report


def measure(url: str, tickets: int, repeat: int) -> tuple[list[list[str]], str, dict]:
    app = fresh_app(url)
    with app.app_context():
        began = time.perf_counter()
        fill(tickets)
        filled = time.perf_counter() - began
        began = time.perf_counter()
        report_facts.backfill(db.session.connection())
        db.session.commit()
        backfilled = time.perf_counter() - began
        db.session.commit()
        _vacuum_analyze()
        counts = {name: db.session.scalar(select(func.count()).select_from(model))
                  for name, model in (("tickets", Ticket), ("tasks", HumanTask), ("clocks", SlaClock))}
        admin = users.by_username("admin")
        zone = ZoneInfo(app.config["TIMEZONE"])
        today = clock.now().astimezone(zone).date()
        year = DateRange(today - timedelta(days=364), today, zone)
        month = DateRange(today - timedelta(days=29), today, zone)
        calls = [
            ("dashboard (8 weeks)", lambda: reports.dashboard(admin, reports.now_range(zone, 8))),
            ("sla, 6 dimensions, year", lambda: reports.sla(admin, year)),
            ("sla by channel, year", lambda: reports.sla(admin, year, by="channel")),
            ("sla by member, year", lambda: reports.sla(admin, year, by="member")),
            ("sla by tier, month", lambda: reports.sla(admin, month, by="tier")),
            ("sla drill-down red breached, month", lambda: reports.sla_tickets(
                admin, month, "channel", "red", outcome="breached")),
            ("volumes, year", lambda: reports.volumes(admin, year)),
            ("volumes, month", lambda: reports.volumes(admin, month)),
            ("managers, year", lambda: reports.managers(admin, year)),
            ("customers, year", lambda: reports.customers(admin, year)),
        ]
        rows, results = [], {}
        for name, call in calls:
            laps, report = timed(call, repeat)
            results[name] = report
            rows.append([name, f"{statistics.median(laps):.0f}", f"{min(laps):.0f}",
                         f"{sum(len(t.rows) for t in report.tables)}"])
        check = _check(results, counts, year)
        db.session.remove()
        db.engine.dispose()
    load, cores = os.getloadavg()[0], os.cpu_count()
    summary = (f"{counts['tickets']:,} tickets, {counts['tasks']:,} tasks, {counts['clocks']:,} SLA clocks "
               f"filled in {filled:.0f} s, their report facts backfilled in {backfilled:.0f} s; "
               f"machine load {load:.1f} on {cores} cores")
    return rows, summary, check


def _check(results: dict, counts: dict, year: DateRange) -> str:
    """The figures add up: each ticket opened in the year appears once per day, each decided clock once per group."""
    opened = sum(r[1] for r in results["volumes, year"].table("by_day").rows)
    per_channel = sum(r[1] for r in results["volumes, year"].table("by_channel").rows)
    decided = [sum(r[1] + r[2] for r in t.rows) for t in results["sla, 6 dimensions, year"].tables]
    expect(opened == per_channel, f"opened per day {opened} != per channel {per_channel}")
    expect(len(set(decided)) == 1, f"decided clocks differ between dimensions: {decided}")
    expect(opened >= counts["tickets"] * 0.99, f"only {opened} of {counts['tickets']} tickets in the year")
    return f"check passed: {opened:,} tickets opened in the year, {decided[0]:,} clocks decided in each dimension"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", metavar="URL", help="one SQLAlchemy URL to run on (wiped first); default: "
                        f"a temporary SQLite file, then {DEFAULT_PG} when reachable")
    parser.add_argument("--tickets", type=int, default=DEFAULT_TICKETS, metavar="N",
                        help=f"tickets in the year (default {DEFAULT_TICKETS:,})")
    parser.add_argument("--repeat", type=int, default=5, metavar="N", help="timed calls per report (default 5)")
    args = parser.parse_args(argv)
    if args.tickets < 1000 or args.repeat < 1:
        parser.error("--tickets must be at least 1000 and --repeat at least 1")
    with tempfile.TemporaryDirectory(prefix="keydesk-bench-") as tmp:
        os.environ.setdefault("KEYDESK_INSTANCE", str(Path(tmp) / "instance"))
        urls = [args.database] if args.database else [f"sqlite:///{Path(tmp) / 'reports.db'}", DEFAULT_PG]
        for url in urls:
            shown = make_url(url).render_as_string(hide_password=True)
            try:
                rows, summary, check = measure(url, args.tickets, args.repeat)
            except Exception as err:  # noqa: BLE001  (no PostgreSQL here: say so and go on)
                if url != DEFAULT_PG or args.database:
                    raise
                print(f"\nskipped {shown}: {err.__class__.__name__}: {str(err).splitlines()[0]}")
                continue
            print(f"\nKeyDesk report benchmark - {shown}\n{summary}; wall ms per call over {args.repeat} calls")
            print(table(["report", "median ms", "fastest ms", "rows"], rows))
            print(check)
    return 0


if __name__ == "__main__":
    sys.exit(main())
