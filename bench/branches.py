"""What branch scoping costs: scoped customer search, ticket list and inbox on a national-size tree.

The tree is headquarters, 31 provinces and 10 cities each (342 branches). Customers and tickets (each
with one open agent task) are spread evenly over the cities; rows are bulk-inserted, not run through
the engine. Each query runs as three users: headquarters (no filter), a province (its 10 cities) and
a city (one branch), as KeyDesk does it (one recursive-CTE query for the ids, then the list filtered
on them as constants), and for comparison the province and city queries with the CTE inside the
list's own statement (whose row count PostgreSQL's planner cannot estimate). Figures: median and 95th percentile in
ms over the repetitions, after one warm-up; nothing is asserted on time, the run only stops if a
query returns rows outside the user's branches.

    .venv/bin/python bench/branches.py                          # temporary SQLite file
    .venv/bin/python bench/branches.py --customers 200000 --tickets 200000
    .venv/bin/python bench/branches.py --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, pct, table  # isort: skip

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

from sqlalchemy import insert, select, text  # noqa: E402

from engine import customers, inbox  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import branches, users  # noqa: E402
from engine.models import Branch, Customer, HumanTask, ProcessVersion, Ticket, User  # noqa: E402

PROVINCES, CITIES = 31, 10


def build_tree() -> list[int]:
    """Headquarters' provinces and cities below the demo's; returns the city ids."""
    hq = branches.by_code("HQ")
    cities = []
    for p in range(PROVINCES):
        province = branches.create(f"P{p:02d}", f"Province {p}", "province", hq)
        db.session.flush()
        for c in range(CITIES):
            city = branches.create(f"P{p:02d}-C{c}", f"City {p}.{c}", "city", province)
            db.session.flush()
            cities.append(city.id)
    db.session.commit()
    return cities


def fill(cities: list[int], n_customers: int, n_tickets: int) -> None:
    now = datetime.now(UTC)
    db.session.execute(insert(Customer), [
        {"code": f"B{i:07d}", "name": f"Bench customer {i}", "kind": "group", "tier": "B", "credit_level": "red",
         "status": "active", "points": 0, "phone": f"+86139{i:08d}", "branch_id": cities[i % len(cities)],
         "created_at": now} for i in range(n_customers)])
    version = db.session.scalar(select(ProcessVersion.id))
    creator = users.by_username("agent").id
    db.session.execute(insert(Ticket), [
        {"number": f"B-{i:08d}", "channel": "red", "process_version_id": version, "title": f"Bench {i}",
         "priority": "normal", "status": "open", "creator_id": creator, "branch_id": cities[i % len(cities)],
         "created_at": now, "updated_at": now, "data": {}, "workflow_state": "", "lock_version": 1}
        for i in range(n_tickets)])
    first = db.session.scalar(select(Ticket.id).where(Ticket.number == "B-00000000"))
    db.session.execute(insert(HumanTask), [
        {"ticket_id": first + i, "spiff_task_id": f"bench-{i}", "element_id": "accept", "name": "Accept",
         "role": "agent", "state": "open", "priority": "normal", "created_at": now,
         "due_at": now + timedelta(minutes=i % 997), "ticket_number": f"B-{i:08d}", "ticket_title": f"Bench {i}",
         "ticket_channel": "red", "ticket_branch_id": cities[i % len(cities)]} for i in range(n_tickets)])
    db.session.commit()
    db.session.execute(text("ANALYZE"))  # the planner's statistics, as autovacuum would have them by now
    db.session.commit()


def place(username: str, branch_id: int | None) -> User:
    user = users.create_user(username, "pw", ["agent"], branch=db.session.get(Branch, branch_id))
    db.session.commit()
    return user


@contextmanager
def patched(owner, name: str, value):
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def cte_inside(user: User, column):
    """The road not taken: the recursive CTE as a subquery of the list's statement."""
    tree = select(Branch.id).where(Branch.id == user.branch_id).cte("branch_scope", recursive=True)
    tree = tree.union_all(select(Branch.id).where(Branch.parent_id == tree.c.id))
    return column.in_(select(tree.c.id))


def timed(run, repeat: int) -> list[float]:
    run()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database")
    parser.add_argument("--customers", type=int, default=50000)
    parser.add_argument("--tickets", type=int, default=50000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = fresh_app(url)
    with app.app_context():
        cities = build_tree()
        fill(cities, args.customers, args.tickets)
        province_cities = set(cities[:CITIES])
        people = {"headquarters": place("bench_hq", branches.by_code("HQ").id),
                  "province": place("bench_province", db.session.get(Branch, cities[0]).parent_id),
                  "city": place("bench_city", cities[0])}
        allowed = {"headquarters": None, "province": province_cities, "city": {cities[0]}}
        queries = [  # name, the query for a user, the branch of a row it returns
            ("customer search 'customer 1'", lambda u: customers.search(u, "customer 1", limit=50),
             lambda c: c.branch_id),
            ("customer search by phone", lambda u: customers.search(u, "+8613900003100", limit=50),
             lambda c: c.branch_id),
            ("ticket list, newest 100", lambda u: inbox.tickets(u, status="open", limit=100), lambda t: t.branch_id),
            ("inbox, soonest due 100", lambda u: inbox.tasks_for(u, limit=100), lambda t: t.ticket.branch_id),
        ]
        rows = []
        for who, user in people.items():
            for name, query, branch_of in queries:
                found = query(user)
                expect(bool(found) and (allowed[who] is None or {branch_of(x) for x in found} <= allowed[who]),
                       f"{name}: {who} got no rows or rows outside their branches")
                times = timed(lambda q=query, u=user: q(u), args.repeat)
                rows.append([name, who, f"{pct(times, 50):.2f}", f"{pct(times, 95):.2f}"])
        for who in ("province", "city"):  # the alternative: the CTE inside each list's own statement
            with patched(branches, "visible", cte_inside):
                for name, query, _ in queries:
                    times = timed(lambda q=query, u=people[who]: q(u), args.repeat)
                    rows.append([name, f"{who}, CTE in the statement", f"{pct(times, 50):.2f}",
                                 f"{pct(times, 95):.2f}"])
        print(f"{db.engine.dialect.name}: {len(cities) + PROVINCES + 1 + 3} branches, {args.customers} customers, "
              f"{args.tickets} open tickets with one task each, {args.repeat} repetitions\n")
        print(table(["query", "user", "p50 ms", "p95 ms"], rows))


if __name__ == "__main__":
    main()
