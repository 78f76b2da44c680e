"""What the daily contract-reminder sweep costs: N active contracts with end dates spread over the next two years
(one in eight within the 90-day lead), bulk-inserted on the demo customers. Three figures: the first sweep of a
day (sends every reminder due: one row and its messages per contract inside a lead time), a second sweep the same
day (finds each already sent: the cost of being run again, at a restart or by a second worker) and, as the baseline
measured in the same run, a sweep on a day with nothing due (the contracts' query alone). Nothing is asserted on time;
the run stops if a contract got two reminders.

    .venv/bin/python bench/contract_reminders.py                  # temporary SQLite file, 20 000 contracts
    .venv/bin/python bench/contract_reminders.py --contracts 100000 --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402

from sqlalchemy import func, insert, select  # noqa: E402

from engine import contracts  # noqa: E402
from engine.contracts import reminders  # noqa: E402
from engine.db import db  # noqa: E402
from engine.models import Contract, ContractReminder, Customer  # noqa: E402


def fill(n: int) -> None:
    today = contracts.today()
    owners = list(db.session.scalars(select(Customer.id)))
    db.session.execute(insert(Contract), [
        {"customer_id": owners[i % len(owners)], "number": f"BENCH-{i:07d}", "title": f"Bench contract {i}",
         "start_date": date(2025, 1, 1), "end_date": today + timedelta(days=1 + i % 730), "status": "active",
         "created_at": datetime.now(UTC)} for i in range(n)])
    db.session.commit()


def timed(run) -> tuple[float, int]:
    start = time.perf_counter()
    sent = run()
    return (time.perf_counter() - start) * 1000, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=20000)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = fresh_app(url)
    with app.app_context():
        fill(args.contracts)
        today = contracts.today()
        baseline, none_sent = timed(lambda: reminders.sweep(today - timedelta(days=800)))  # before any lead time
        first, sent = timed(lambda: reminders.sweep(today))
        again, resent = timed(lambda: reminders.sweep(today))
        per_contract = db.session.execute(select(ContractReminder.contract_id, func.count())
                                          .group_by(ContractReminder.contract_id)
                                          .having(func.count() > 1)).first()
        expect(none_sent == 0 and resent == 0 and per_contract is None, "a reminder went out twice")
        rows = [["nothing due (baseline)", f"{baseline:.0f}", "0", "1.0"],
                ["first sweep of the day", f"{first:.0f}", str(sent), f"{first / baseline:.1f}"],
                ["second sweep, same day", f"{again:.0f}", str(resent), f"{again / baseline:.1f}"]]
        print(f"{args.contracts} contracts on {db.engine.dialect.name}; reminders due today: {sent}")
        print(table(["sweep", "ms", "sent", "× baseline"], rows))


if __name__ == "__main__":
    main()
