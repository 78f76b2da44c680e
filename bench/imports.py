"""What importing 50,000 customers with a contact each costs: rows per second and peak memory, SQLite and PostgreSQL.

For each database, in a process of its own (so that its peak RSS is its own): a dry run of the file
(every row checked, the preview stored), the commit of that preview (Core batches: customers,
contacts and their history rows), and a second dry run of the same file (all rows unchanged). The
baseline, measured in the same process, is the obvious way: one ORM object per customer, contact
and history row, flushed row by row, on a sample of the file; the ratio is the commit's rate over
it. Memory: the RSS before the import, then the peak RSS during the dry run and during the commit
(each peak on its own: Linux's VmHWM, reset between phases); the import streams the file's rows and
never holds its ORM objects at once, so the peaks stay near the RSS before it. Nothing is asserted
on time; the run stops if the import does not do what it should.

    .venv/bin/python bench/imports.py                       # SQLite (temporary file) and the local PostgreSQL
    .venv/bin/python bench/imports.py --rows 10000 --no-postgres
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import expect, fresh_app, table  # isort: skip

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from engine import customers  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import branches, users  # noqa: E402
from engine.imports import batches  # noqa: E402
from engine.models import Contact, Customer  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench_imports"
HEADER = "code,name,kind,tier,industry,branch,account_manager,credit_level,member_card,contact_name,contact_phone\n"
BRANCHES = ("SH", "SH-PD", "SH-MH")


def csv_file(rows: int, start: int = 0) -> bytes:
    lines = [HEADER]
    for n in range(start, start + rows):
        lines.append(f"B{n:07d},Bench customer {n},group,{'ABC'[n % 3]},logistics,{BRANCHES[n % 3]},manager,red,,"
                     f"Contact {n},+86139{n:08d}\n")
    return "".join(lines).encode()


def memory_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (the peak since the last reset_peak) of this process, from Linux's /proc."""
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux: writing 5 to clear_refs), so a phase's peak is its own."""
    Path("/proc/self/clear_refs").write_text("5")


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def orm_baseline(admin, rows: int) -> float:
    """Seconds for the obvious import: ORM objects per row, flushed one row at a time, committed at the end."""
    branch_ids = {code: branches.by_code(code).id for code in BRANCHES}
    manager = users.by_username("manager")
    start = time.perf_counter()
    for n in range(10_000_000, 10_000_000 + rows):
        customer = Customer(code=f"O{n}", name=f"ORM customer {n}", kind="group", tier="A", industry="logistics",
                            branch_id=branch_ids[BRANCHES[n % 3]], account_manager=manager, credit_level="red")
        contact = Contact(customer=customer, name=f"Contact {n}", phone=f"+86138{n:08d}")
        db.session.add_all([customer, contact])
        customers.record(customer, "customer", None, customer.code, "import baseline", admin)
        customers.record(customer, "contact", None, contact.name, "import baseline", admin, target=contact)
        db.session.flush()
    db.session.commit()
    return time.perf_counter() - start


def measure(url: str, rows: int, sample: int) -> dict:
    app = fresh_app(url)
    data = csv_file(rows)
    with app.app_context():
        admin = users.by_username("admin")
        before = db.session.scalar(select(func.count()).select_from(Customer))
        setup_mb = memory_mb("VmRSS")
        reset_peak()
        dry, batch = timed(lambda: batches.preview(admin, "customers", "bench.csv", data))
        expect(batch.summary == {"new": rows, "changed": 0, "unchanged": 0} and not batch.problems,
               f"the dry run found {batch.summary} and {len(batch.problems)} problems")
        dry_mb = memory_mb("VmHWM")
        reset_peak()
        commit, _ = timed(lambda: batches.commit(admin, batch.id))
        commit_mb = memory_mb("VmHWM")
        expect(db.session.scalar(select(func.count()).select_from(Customer)) == before + rows, "customers missing")
        expect(len(db.session.identity_map) < 100, f"{len(db.session.identity_map)} objects left in the session")
        again, second = timed(lambda: batches.preview(admin, "customers", "bench.csv", data))
        expect(second.summary["unchanged"] == rows, f"the second dry run found {second.summary}")
        baseline = orm_baseline(admin, sample)
    return {"dry": rows / dry, "commit": rows / commit, "again": rows / again, "baseline": sample / baseline,
            "setup_mb": setup_mb, "dry_mb": dry_mb, "commit_mb": commit_mb, "file_mb": len(data) / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50000)
    parser.add_argument("--sample", type=int, default=2000, help="rows of the ORM baseline")
    parser.add_argument("--postgres", default=PG_URL)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # run one database in this process, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.rows, args.sample)))
        return
    urls = {"SQLite": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    if not args.no_postgres:
        urls["PostgreSQL"] = args.postgres
    rows = []
    for name, url in urls.items():
        done = subprocess.run([sys.executable, __file__, "--one", url, "--rows", str(args.rows),
                               "--sample", str(args.sample)], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stderr}", file=sys.stderr)
            sys.exit(1)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append([name, f"{r['dry']:.0f}", f"{r['commit']:.0f}", f"{r['again']:.0f}", f"{r['baseline']:.0f}",
                     f"{r['commit'] / r['baseline']:.1f}x", f"{r['setup_mb']:.0f}", f"{r['dry_mb']:.0f}",
                     f"{r['commit_mb']:.0f}"])
    print(f"{args.rows} customers with a contact each ({r['file_mb']:.1f} MB of CSV); rows per second; "
          f"baseline: per-row ORM inserts of {args.sample} rows; RSS in MB before the import, then the peak "
          "during the dry run and during the commit\n")
    print(table(["database", "dry run", "commit", "re-import dry run", "ORM baseline", "commit/baseline",
                 "RSS before", "peak dry run", "peak commit"], rows))


if __name__ == "__main__":
    main()
