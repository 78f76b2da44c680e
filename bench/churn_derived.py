"""The nightly pass's dissatisfied answers (engine/churn/derived.py): one SQL query that tests the satisfaction in
the database, against the former reading of every ticket closed in the last 30 days into Python (kept here as the
baseline, measured in the same run on the same data). Each ticket carries a serialized workflow of ``--state`` KB,
as real tickets do, which the baseline loads with the row. The run stops if the two do not find the same tickets;
nothing is asserted on time.

    .venv/bin/python bench/churn_derived.py                   # temporary SQLite file, 20,000 closed tickets
    .venv/bin/python bench/churn_derived.py --tickets 50000 --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from sqlalchemy import insert, select  # noqa: E402

from engine import clock  # noqa: E402
from engine.churn import derived  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import branches, users  # noqa: E402
from engine.models import Customer, ProcessVersion, Ticket  # noqa: E402

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ANSWERS = [1, 2, 3, 4, 5, "1", " 2 ", "4", 2.0, None, True]


def fill(n_customers: int, n_tickets: int, state_kb: int) -> None:
    sh = branches.by_code("SH").id
    db.session.execute(insert(Customer), [
        {"code": f"D{i:07d}", "name": f"Bench {i}", "kind": "group", "tier": "B", "credit_level": "red",
         "status": "active", "points": 0, "phone": f"+86136{i:08d}", "branch_id": sh, "created_at": NOW}
        for i in range(n_customers)])
    first = db.session.scalar(select(Customer.id).where(Customer.code == "D0000000"))
    version, creator, state = db.session.scalar(select(ProcessVersion.id)), users.by_username("agent").id, \
        "x" * (state_kb * 1024)
    for start in range(0, n_tickets, 5000):
        db.session.execute(insert(Ticket), [
            {"number": f"D-{i:08d}", "channel": "yellow", "process_version_id": version, "title": f"Bench {i}",
             "priority": "normal", "status": "closed", "creator_id": creator, "branch_id": sh,
             "customer_id": first + i % n_customers, "created_at": NOW - timedelta(days=i % 45),
             "closed_at": NOW - timedelta(days=i % 45), "updated_at": NOW,
             "data": {"satisfaction": ANSWERS[i % len(ANSWERS)]}, "workflow_state": state, "lock_version": 1}
            for i in range(start, min(start + 5000, n_tickets))])
    db.session.commit()


def baseline() -> dict[int, list[str]]:
    """The former way: every ticket closed in the window loaded, the answer tested in Python."""
    since = clock.now() - timedelta(days=derived.DAYS)
    found: dict[int, list[str]] = defaultdict(list)
    for ticket in db.session.scalars(select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
                                     .where(Ticket.closed_at >= since, Ticket.status != "cancelled")):
        value = (ticket.data or {}).get("satisfaction")
        if isinstance(value, int | float | str) and str(value).strip() in derived.UNHAPPY:
            found[ticket.customer_id].append(ticket.number)
    return found


def timed(read) -> tuple[float, dict]:
    db.session.expunge_all()
    started = time.perf_counter()
    found = read()
    return time.perf_counter() - started, {k: sorted(v) for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--state", type=int, default=8, help="KB of serialized workflow per ticket")
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = fresh_app(url)
    with app.app_context():
        clock.now = lambda: NOW
        fill(args.customers, args.tickets, args.state)
        old_time, old = timed(baseline)
        new_time, new = timed(lambda: derived._dissatisfied(None))
        expect(old == new, "the query and the Python reading found different tickets")
        found = sum(len(v) for v in new.values())
        print(f"{args.tickets} tickets ({args.state} KB of workflow each), {found} dissatisfied answers in the last "
              f"{derived.DAYS} days, {db.engine.dialect.name}")
        print(table(["dissatisfied answers", "time", "tickets found"], [
            ["Python reading (baseline)", f"{old_time:.3f} s", str(found)],
            ["one SQL query", f"{new_time:.3f} s", str(found)],
            ["ratio", f"{old_time / new_time:.1f}x", ""]]))


if __name__ == "__main__":
    main()
