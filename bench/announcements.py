"""How an announcement to 10,000 customers is sent: a batch of ``batch.size`` recipients per engine step, a short
timer between batches, against the same notice sent as one giant step (``batch.size`` 20,000).

Each customer has one phone (10,000 SMS). For both variants: the draft step (recipients fixed), the number of
sending steps, the longest and the median step (a step holds its ticket's row and a worker for that long, and no
other ticket's timer runs on that worker meanwhile), the total and what came of it: the giant step runs into the
engine's step budget (10 s of diagram code per step) and is refused, sending nothing. Then the ratio of the
longest steps. Nothing is asserted on time; the run stops if a batched notice does not reach each customer once.

    .venv/bin/python bench/announcements.py                    # temporary SQLite file
    .venv/bin/python bench/announcements.py --customers 10000 --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import func, insert, select  # noqa: E402

from engine import clock, deployments, scheduler, tickets  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import branches, users  # noqa: E402
from engine.models import Customer, Timer  # noqa: E402
from notifications.outbox import OutboxMessage  # noqa: E402

BPMN = Path(__file__).resolve().parent.parent / "bpmn" / "customer_announcement.bpmn"
START = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 at the desk; the notice goes out at 10:00


class Clock:
    def __init__(self):
        self.current = START

    def now(self):
        return self.current


def fill(n: int) -> None:
    sh = branches.by_code("SH").id
    db.session.execute(insert(Customer), [
        {"code": f"A{i:07d}", "name": f"Announced {i}", "kind": "group", "tier": "C", "credit_level": "red",
         "status": "active", "points": 0, "industry": "bench", "phone": f"+86137{i:08d}", "branch_id": sh,
         "created_at": START} for i in range(n)])
    users.create_user("approver", "demo", ["supervisor"], "Approver", branch=branches.by_code("SH"))
    db.session.commit()


def deploy(size: int) -> None:
    xml = BPMN.read_bytes().replace(b'name="batch.size" value="500"', f'name="batch.size" value="{size}"'.encode())
    deployments.deploy(users.by_username("supervisor"), xml)


def announce(fake: Clock, size: int, n: int) -> list[str]:
    deploy(size)
    fake.current += timedelta(days=1)
    send_at = (fake.current + timedelta(hours=1)).astimezone(clock_tz()).strftime("%Y-%m-%dT%H:%M")
    began = time.perf_counter()
    ticket = tickets.start_ticket(users.by_username("supervisor"), "customer_announcement", "Bench notice", data={
        "notice_kind": "maintenance", "title_zh": "维护通知", "title_en": "Maintenance", "body_zh": "今晚维护。",
        "body_en": "Maintenance tonight.", "recipients_by": "query", "industry": "bench", "channels": ["sms"],
        "send_at": send_at})
    drafted = time.perf_counter() - began
    task = next(t for t in ticket.tasks if t.element_id == "approve")
    tickets.claim(users.by_username("approver"), task.id)
    tickets.complete(users.by_username("approver"), task.id, {"approved": True})
    fake.current += timedelta(hours=1, seconds=1)
    steps = []
    while db.session.scalar(select(func.count()).select_from(Timer).where(
            Timer.ticket_id == ticket.id, Timer.state == "armed", Timer.kind == "bpmn")):
        began = time.perf_counter()
        scheduler.sweep()
        steps.append(time.perf_counter() - began)
        fake.current += timedelta(seconds=11)
    sent = db.session.execute(select(OutboxMessage.address, func.count()).where(OutboxMessage.ticket_id == ticket.id,
                              OutboxMessage.event == "customer_notice").group_by(OutboxMessage.address)).all()
    failed = db.session.scalar(select(func.count()).select_from(Timer).where(Timer.ticket_id == ticket.id,
                                                                              Timer.state == "failed"))
    expect(failed or (len(sent) == n and all(c == 1 for _, c in sent)), "every customer reached exactly once")
    outcome = f"refused: over the step budget, {len(sent)} sent" if failed else f"{len(sent):,} sent once each"
    return [f"batch.size {size}", f"{drafted:.2f} s", str(len(steps)), f"{max(steps):.2f} s",
            f"{statistics.median(steps):.3f} s", f"{sum(steps):.2f} s", outcome]


def clock_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--database")
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    fake = Clock()
    clock.now = fake.now
    with fresh_app(url).app_context():
        fill(args.customers)
        batched = announce(fake, 500, args.customers)
        giant = announce(fake, 20_000, args.customers)
    print(f"{args.customers:,} recipients (SMS), {url.split(':')[0]}")
    print(table(["variant", "draft step", "sending steps", "longest step", "median step", "total", "outcome"],
                [batched, giant]))
    ratio = float(giant[3].split()[0]) / float(batched[3].split()[0])
    print(f"longest step, one giant step / batches of 500: {ratio:.1f}x")


if __name__ == "__main__":
    main()
