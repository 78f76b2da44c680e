"""What one open live stream costs the database: the read it makes every second (engine.live.events.read), on a
table holding only the demo's rows (the baseline) against one holding an hour of a busy desk's events (the most the
scheduler's purge leaves), read from the horizon (a stream that keeps up) and from a minute back (a reconnect).

The extra rows are for a role the reader does not have, so the reader is told nothing and every read must skip
them by the index. Per variant: the median and p95 of a read in ms, and the reads per second one database
connection could serve, i.e. how many streams it would carry at one read a second each. Nothing is asserted on
time; the run stops if the reader is told of a row it may not see, or misses its own.

    .venv/bin/python bench/live.py                               # temporary SQLite file
    .venv/bin/python bench/live.py --events 36000 --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, pct, table  # isort: skip

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from sqlalchemy import insert  # noqa: E402

from engine import clock, tickets  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import users  # noqa: E402
from engine.live import events  # noqa: E402
from engine.live.models import LiveEvent  # noqa: E402
from tests.web_data import open_task, red_ticket  # noqa: E402

READS = 200


def timed_reads(reader: events.Reader, after: events.Position) -> list[float]:
    spent = []
    for _ in range(READS):
        begun = time.perf_counter()
        told, _reached = events.read(reader, after)
        spent.append((time.perf_counter() - begun) * 1000)
        db.session.rollback()  # as a stream: each read in a transaction of its own
        expect(all(n["kind"] == "queued" for n in told), "the reader was told of a row it may not see")
    return spent


def fill(n: int, task_id: int) -> None:
    """An hour of other people's events: n rows for the tech role, spread over the last hour."""
    now = clock.now()
    db.session.execute(insert(LiveEvent), [
        {"txid": 0, "kind": "queued", "task_id": task_id, "role": "tech", "assignee_id": None, "actor_id": None,
         "created_at": now - timedelta(seconds=3600 * (n - i) / n)} for i in range(n)])
    db.session.commit()


def run(url: str, n: int) -> None:
    with fresh_app(url).app_context():
        reader = events.Reader.of(users.by_username("agent"))
        task = open_task(red_ticket(by="manager"))
        rows = []
        for label in ("demo rows only (baseline)", f"+ {n:,} rows of the last hour"):
            if rows:
                fill(n, task.id)
            at_horizon = events.horizon()
            minute_back = max((0, 0), (at_horizon[0], at_horizon[1] - n // 60)) if rows else (0, 0)
            for where, after in (("from the horizon", at_horizon), ("from a minute back", minute_back)):
                spent = timed_reads(reader, after)
                median = pct(spent, 50)
                rows.append([f"{label}, {where}", f"{median:.2f}", f"{pct(spent, 95):.2f}", f"{1000 / median:,.0f}"])
        told, _ = events.read(reader, (0, 0))
        expect([n["task"]["id"] for n in told] == [task.id], "the reader missed its own event")
        tickets.db.session.rollback()
        print(table(["one stream's read", "median ms", "p95 ms", "reads/s per connection"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20000, help="rows of the busy hour (default 20,000)")
    parser.add_argument("--database", help="a database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    if args.database:
        run(args.database, args.events)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{folder}/live.db", args.events)


if __name__ == "__main__":
    main()
