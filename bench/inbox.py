"""How long the staff pages take with many open tasks: the inbox list, its counts, and a ticket page.

``--tickets`` red-channel tickets (default 1,000) are started through the engine on a fresh SQLite
database (or ``--url``), each waiting on the agent's "Accept the fault". The agent is signed in with
the test client, then each page is requested ``--rounds`` times (after two warm-up requests).

Reading the figures
    p50/p95     median and 95th percentile of one request in ms, rendering included.
    SQL         statements one request sends. The list is one query plus the counts query whatever the
                number of rows (the first 50 shown), so this must not grow with --tickets.
"""

import argparse
import re
import tempfile
import time
from pathlib import Path

import common
from sqlalchemy import event

from engine import tickets
from engine.db import db
from engine.directory import users


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    app = common.fresh_app(url)
    with app.app_context():
        agent = users.by_username("agent")
        for i in range(args.tickets):
            ticket = tickets.start_ticket(agent, "red_fault", f"line {i}", customer_id=1 + i % 7,
                                          data={"service": "internet", "description": "down"})
        last_id = ticket.id
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
        client.post("/login", data={"username": "agent", "password": "demo", "csrf_token": token.group(1)})
        common.expect(client.get("/inbox").status_code == 200, "the agent is signed in")
        print(f"inbox pages with {args.tickets} open tasks on {db.engine.dialect.name}, {args.rounds} rounds")
        print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5}")
        for name, path in (("inbox list, My queues", "/inbox/list?view=queues"),
                           ("inbox list, customer filter", "/inbox/list?view=queues&customer=port"),
                           ("inbox page (filters, saved)", "/inbox?view=queues"),
                           ("ticket page", f"/tickets/{last_id}")):
            timings, statements = measure(client, path, args.rounds)
            print(f"{name:<32} {common.pct(timings, 50):8.1f} {common.pct(timings, 95):8.1f} {statements:5d}")


def measure(client, path: str, rounds: int) -> tuple[list[float], int]:
    for _ in range(2):
        common.expect(client.get(path).status_code == 200, f"{path} answers 200")
    sent = []
    listener = lambda *a: sent.append(1)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(path)
        timings.append((time.perf_counter() - start) * 1000)
    event.remove(db.engine, "before_cursor_execute", listener)
    return timings, len(sent) // rounds


if __name__ == "__main__":
    main()
