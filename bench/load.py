"""Completions per second through a real socket: the production server against the Werkzeug one, in one run
(and, with --baseline, an earlier commit's two servers in the same run).

What it does, on PostgreSQL (``--database``, wiped first):
1. fills the database: the demo data, ``--staff`` colleagues (300: a desk's directory, not the demo's dozen people;
   add_staff), then ``--tickets`` red-channel faults started over HTTP, each waiting on the agent's "Accept the
   fault";
2. for each server in turn, the *before* one (``run.py serve --no-scheduler``: Werkzeug, one process) and the
   production one (``run.py serve --workers N``: gunicorn), drives ``--clients`` concurrent HTTP clients
   over loopback for ``--seconds``, each signed in as an agent of its own (colleagues of the demo agent).
   Each client loops: GET /api/v1/tasks?limit=20 -> claim one of them at random -> complete it. Two
   clients picking the same task is a 409 on the claim, as in real life. After the window, one client alone
   measures each kind of request: the PostgreSQL rows it reads, per table (a window of 10 lists, then one of 10
   claims of tasks they showed, then one of 10 completes of the same tasks, each read 11 s after it ended), and
   the SQL statements it sends (the /metrics counter around each request, 5 rounds);
   With ``--repeat N``, step 2 runs N times in turn (each server of each code once per turn; ``--tickets`` faults
   per turn, all started before the first turn) and the comparisons below the first table use each figure's median
   over the runs: a shared machine's speed drifts by a fifth within minutes, and a ratio of two single runs drifts
   with it. A code whose list reads every open task (the starting commit's) reads N times as many PG rows as in
   one turn; compare PG rows of runs with the same --repeat;
3. runs the same diagram in raw SpiffWorkflow in this process (bench/engine.py's raw lifecycle): steps/s;
4. tops the open tasks up to ``--inbox-tasks`` (100,000; most of them an overdue backlog of other queues, due before
   any of the agent's) with SQL and times the first page of
   GET /api/v1/tasks and of the web inbox list on the production server, with EXPLAIN of the query.

With ``--baseline DIR`` (a checkout of an earlier commit, e.g. ``git worktree add --detach DIR 34e3ef4``, its
translations compiled), the same run also measures that code, labelled by its short commit, on a database of its
own (``--database``'s name + ``_base``), against the same machine in the same minutes:
- its data is made by its own code, in processes started in DIR with this Python: its ``run.py demo``, then a
  small script (BASELINE_AGENTS) that adds the agents and prints their tokens; then the same ``fill`` and ANALYZE;
- its Werkzeug server is its ``run.py serve --no-scheduler``; its production server is gunicorn started as
  ``python -m gunicorn ... 'web:create_app()'`` with today's settings (web/production.py): an earlier commit
  may have no ``serve --workers``;
- step 2 runs each server kind of both codes in turn (earlier Werkzeug, today's Werkzeug, earlier gunicorn,
  today's gunicorn), and the report adds the ratios today / earlier per server kind.

Reading the figures
    completions/s   successful completes divided by the window.
    p50/p95/p99     latency of one request of that kind in ms, as the client saw it.
    409             requests of that kind refused because another client was faster.
    server CPU      user+system CPU of the server's processes (master and workers) in the window, per completion.
    PG CPU          the same for the PostgreSQL backends serving this database: every backend seen in the window
                    (pg_stat_activity sampled every 0.2 s, CPU from /proc), those the server closed before the
                    window ended too; BackendCPU says what it may still miss.
    SQL             statements the server sent (keydesk_sql_statements_total of /metrics) per completion; after
                    the window, one client alone also counts them per request kind (list, claim, complete).
                    "-" for a baseline without /metrics: nothing counts its statements.
    turn overruns   a note names a server whose page requests waited their worker's turn the longest they may
                    (web/page_turns.py, keydesk_http_turn_overruns_total) and ran beside the one ahead.
    PG rows         rows PostgreSQL read for this database (pg_stat_database tup_returned + tup_fetched) per
                    completion; it counts index entries and heap rows a statement visited, in the system catalogs
                    too. Read 11 s after the server went idle: backends flush their statistics late (STATS_FLUSH).
    rows per request
                    one client alone after the window: the rows each kind of request reads in the database's own
                    tables (pg_stat_all_tables and pg_stat_all_indexes, TOAST tables as "<table> (TOAST)"), so
                    autovacuum's and this script's catalog reads stay out; and, in the last column
                    (completion_rows_alone), pg_stat_database's rows read per completion of 10 in a row, each one
                    list, one claim and one complete: the PG rows column's counter without the retries of clients
                    that lost a claim to another (a 409, then another list and claim). Per table, for one
                    completion (list + claim + complete) alone, and per completion in the loaded window (its
                    rows read in each table over its completions: retries included), top tables under load first:
        seq rows        rows sequential scans read (seq_tup_read);
        index entries   entries index scans read, all indexes of the table (idx_tup_read);
        heap fetches    table rows fetched through an index (idx_tup_fetch); an index-only scan fetches none.
                    Their sum is what pg_stat_database's PG rows counts, without the catalogs.
                    The servers keep their per-process answers (engine.config_cache) 120 s here instead of the
                    production default of 10 s: the 11-s waits of these one-client measurements would otherwise
                    find them gone before every batch and count the re-reads (a few statements per worker per
                    10 s in production) as the cost of each request.
    HOT             per table, the share of the rows updated in the loaded window that PostgreSQL wrote on their own
                    page (a HOT update: no new entry in the table's indexes, no dead one for the next reader).
    raw steps/s     SpiffWorkflow alone: one step = running one manual task and the engine steps after it.
    ratio           raw steps/s divided by completions/s: how many times slower a step is behind HTTP.
    load            the machine's 1-minute load average when the window closed: above the number of cores,
                    other work was competing for them and the figures are not the server's own.
    now / start     (--baseline) today's figure divided by the earlier code's, same server kind: server CPU
                    and PG rows per completion (below 1: today's costs less), completions/s (above 1: faster).
                    Each database is its own (pg_stat_database is read per database), and each phase
                    completes tasks of its own code's database.

The clients, the servers and PostgreSQL share the machine's cores: the client threads' own CPU is part of the
picture. Figures move with the machine and whatever else runs on it: compare the rows of one run.
Nothing is asserted on time; the run stops if a request gives an unexpected answer.

    .venv/bin/python bench/load.py                                  # 2 workers, 16 clients, 30 s each
    .venv/bin/python bench/load.py --workers 4 --clients 32 --seconds 60 --inbox-tasks 0
    .venv/bin/python bench/load.py --baseline ../start --seconds 20 --inbox-tasks 0   # and 34e3ef4's code
    .venv/bin/python bench/load.py --baseline ../start --seconds 20 --inbox-tasks 0 --repeat 3   # medians of 3
    .venv/bin/python bench/load.py --threads 1 --seconds 20 --inbox-tasks 0   # gunicorn workers of one thread
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import ROOT, expect, pct, sibling, table  # isort: skip

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from sqlalchemy import MetaData, Table, create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

import run  # noqa: E402
from engine import inbox  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import branches, users  # noqa: E402
from tests.live_server import live_server, run_py_serve  # noqa: E402
from web import create_app  # noqa: E402
from web.production import ACCESS_LOG_FORMAT  # noqa: E402

SCRAPE_TOKEN = "bench-load"
STATS_APP = "bench-load statistics"  # application_name of this script's connections to a database under test
REPORT = {"service": "leased_line", "description": "Link down at the port office"}
ACCEPT = {"impact": "outage", "impact_details": "All branches offline", "customer_answered": True}
KINDS = ("list", "claim", "complete")
SQL, OVERRUNS = "keydesk_sql_statements_total", "keydesk_http_turn_overruns_total"  # figures of /metrics
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Client:
    """One HTTP/1.1 connection per request over loopback, as a simple API client makes them."""

    def __init__(self, base: str, token: str):
        self.host, self.port = urlsplit(base).hostname, urlsplit(base).port
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None,
             headers: dict | None = None) -> tuple[int, bytes, float, dict]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=json.dumps(body) if body is not None else None,
                               headers=headers if headers is not None else self.headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, payload, time.perf_counter() - started, dict(response.getheaders())
        finally:
            connection.close()

    def ok(self, kind: str, method: str, path: str, body: dict | None = None) -> bytes:
        """The body of a request one client alone sends, which must succeed."""
        status, payload, _, _ = self.call(method, path, body)
        expect(status == 200, f"{kind} alone: {status} {payload[:200]!r}")
        return payload


def one_completion(request: Callable[..., bytes]) -> None:
    """One list, then a claim and a complete of its first open task, each through ``request(kind, method, path,
    body)`` (Client.ok, or a wrapper that measures it)."""
    tasks = json.loads(request("list", "GET", "/api/v1/tasks?limit=20"))["tasks"]
    task_id = next(t["id"] for t in tasks if t["state"] == "open")
    request("claim", "POST", f"/api/v1/tasks/{task_id}/claim")
    request("complete", "POST", f"/api/v1/tasks/{task_id}/complete", {"data": ACCEPT})


# --- the database --------------------------------------------------------------------------------------------------

def recreate_database(url: str) -> None:
    parsed = make_url(url)
    server = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    server.dispose()


def prepare(url: str, instance: Path, agents: int) -> list[str]:
    """Empty the database, upgrade it and load the demo data as an operator would, add `agents` colleagues of the
    demo agent (same roles and branch); returns one API token per agent, the demo agent's first."""
    recreate_database(url)
    os.environ.update(DATABASE_URL=url, KEYDESK_INSTANCE=str(instance))
    expect(run.main(["demo"]) == 0, "the demo data loads")
    app = create_app()
    with app.app_context():
        agent = users.by_username("agent")
        people = [agent] + [users.create_user(f"agent{i}", "demo", sorted(agent.role_names), f"Agent {i}",
                                              branch=agent.branch) for i in range(1, agents)]
        db.session.commit()
        tokens = [users.issue_token(person) for person in people]
        db.engine.dispose()
    return tokens


# The agents and their tokens with an earlier checkout's own code (its engine.users, whatever the module layout
# today), run in a process of its own from that checkout; argv[1] is how many agents, the demo agent first.
BASELINE_AGENTS = """
import json, sys
from engine import users
from engine.db import db
from web import create_app

with create_app().app_context():
    agent = users.by_username("agent")
    people = [agent] + [users.create_user(f"agent{i}", "demo", sorted(agent.role_names), f"Agent {i}",
                                          branch=agent.branch) for i in range(1, int(sys.argv[1]))]
    db.session.commit()
    print(json.dumps([users.issue_token(person) for person in people]))
"""


def prepare_baseline(checkout: Path, url: str, instance: Path, agents: int) -> list[str]:
    """What prepare does, by the earlier checkout's own code: its `run.py demo`, then its users module."""
    recreate_database(url)
    env = {**os.environ, "DATABASE_URL": url, "KEYDESK_INSTANCE": str(instance)}
    subprocess.run([sys.executable, "run.py", "demo"], cwd=checkout, env=env, check=True, stdout=subprocess.DEVNULL)
    made = subprocess.run([sys.executable, "-c", BASELINE_AGENTS, str(agents)], cwd=checkout, env=env, check=True,
                          stdout=subprocess.PIPE, text=True)
    return json.loads(made.stdout.splitlines()[-1])


@dataclass
class Code:
    """One version of KeyDesk under test: today's, or an earlier checkout (--baseline) with a database of its own."""
    name: str  # "now", or the earlier commit
    label: str
    cwd: Path
    database: str
    tokens: list[str]
    werkzeug: Callable[[int], list[str]]  # the command line of each server for a port
    gunicorn: Callable[[int], list[str]]
    metrics: bool  # serves /metrics: the SQL statements are counted


def baseline_servers(checkout: Path, workers: int, threads: int) -> tuple[Callable, Callable]:
    """An earlier checkout's Werkzeug server (`run.py serve --no-scheduler`), and gunicorn configured as today's
    `run.py serve --workers N` does (web/production.py: gthread, --threads T, an access log line per request) around
    its create_app, which starts no scheduler. The schema must exist: prepare_baseline made it."""
    def werkzeug(port: int) -> list[str]:
        return [sys.executable, "run.py", "serve", "--no-scheduler", "--host", "127.0.0.1", "--port", str(port)]

    def gunicorn(port: int) -> list[str]:
        return [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread",
                "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--access-logfile", "-",
                "--access-logformat", ACCESS_LOG_FORMAT, "--no-control-socket", "web:create_app()"]
    return werkzeug, gunicorn


def production(args) -> Callable[[int], list[str]]:
    """Today's `run.py serve --workers N --threads T`."""
    serve = run_py_serve(args.workers)
    return lambda port: serve(port) + ["--threads", str(args.threads)]


def gunicorn_kind(args) -> str:
    threads = "" if args.threads == run.DEFAULT_THREADS else f" × {args.threads} threads"
    return f"gunicorn {args.workers} workers{threads}"


def add_staff(url: str, count: int, template: str = "billing") -> None:
    """`count` colleagues of the demo's `template` user (same roles, branch and password; the user tables as that
    code's own schema has them, so an earlier checkout's database too): the directory of a desk rather than the
    demo's dozen people. The billing role plays no part in a red fault, so the workload stays the same; what
    changes is the size of `users`, and with it how PostgreSQL checks the foreign keys to it (one page: a
    sequential scan up to the person; several: an index lookup)."""
    if not count:
        return
    engine = create_engine(url)
    tables = MetaData()
    people, roles = (Table(name, tables, autoload_with=engine) for name in ("users", "user_roles"))
    with engine.begin() as conn:
        model = conn.execute(select(people).where(people.c.username == template)).mappings().one()
        its_roles = conn.execute(select(roles).where(roles.c.user_id == model["id"])).mappings().all()
        copies = [{**{key: value for key, value in model.items() if key != "id"}, "username": f"staff{n}",
                   "display_name": f"Staff {n}", "email": None, "phone": None} for n in range(1, count + 1)]
        ids = conn.execute(insert(people).returning(people.c.id), copies).scalars().all()
        conn.execute(insert(roles), [{**row, "user_id": user_id} for user_id in ids for row in its_roles])
    engine.dispose()


def fill(base: str, token: str, tickets: int) -> None:
    """Start the faults over HTTP, 8 at a time."""
    client = Client(base, token)
    body = {"process": "red_fault", "title": "Leased line down", "customer_id": 1, "data": REPORT}

    def start(_):
        status, payload, _, _ = client.call("POST", "/api/v1/tickets", body)
        expect(status == 201, f"a ticket starts: {status} {payload[:200]!r}")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(start, range(tickets)))


def analyze(url: str) -> None:
    """Planner statistics of the filled tables, as autovacuum keeps them on a live database: taken when the tables
    were nearly empty, they make PostgreSQL read every open task and sort instead of walking the due-time index."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


STATS_FLUSH = 11  # s: a busy backend flushes its statistics at most once a second, an idle one only after 10 s
#                   (PGSTAT_IDLE_INTERVAL, PostgreSQL 15); pg_stat_force_next_flush() acts on the calling backend only


def database_counters(engine, database: str) -> dict[str, int]:
    """pg_stat_database's rows read for the database (tup_returned + tup_fetched) and sessions opened to it, once
    every backend has flushed its statistics: after STATS_FLUSH, the server idle. `engine` is connected to another
    database (postgres): the catalog rows a query of these views reads are counted in pg_stat_database too."""
    time.sleep(STATS_FLUSH)
    with engine.connect() as conn:
        rows, sessions = conn.execute(text("SELECT tup_returned + tup_fetched, sessions FROM pg_stat_database "
                                           "WHERE datname = :d"), {"d": database}).one()
    return {"rows": rows, "sessions": sessions}


class BackendCPU(threading.Thread):
    """The CPU of the PostgreSQL backends serving one database during a window, counted as they come and go.

    Every `every` s it lists the database's backends (pg_stat_activity, by `engine`, connected to another database)
    and keeps each one's latest CPU ticks from /proc/<pid>/stat; a backend is known by its pid and start time, so a
    pid used again is another backend. A backend's share is its last ticks less its ticks in the first sample, or
    less 0 when it was born in the window: a server that opens and closes connections beyond its pool (Werkzeug's
    threads beyond SQLAlchemy's pool of 5 + 10 overflow) is counted too. It may still miss the CPU a backend spent
    between its last sample and its exit (up to one interval's worth each), and all of a backend that came and went
    between two samples. Use as `with BackendCPU(engine, database) as cpu: ...`, then `cpu.ticks()`."""

    def __init__(self, engine, database: str, every: float = 0.2):
        super().__init__(daemon=True)
        self.engine, self.database, self.every = engine, database, every
        self.first: dict[tuple[int, int], int] = {}  # (pid, start time) -> ticks when first seen (0: born since)
        self.last: dict[tuple[int, int], int] = {}
        self.newborn: set[tuple[int, int]] = set()
        self.stop = threading.Event()

    def __enter__(self) -> "BackendCPU":
        self.sample(born=False)
        self.start()
        return self

    def __exit__(self, *_) -> None:
        self.stop.set()
        self.join()
        self.sample()

    def run(self) -> None:
        while not self.stop.wait(self.every):
            self.sample()

    def sample(self, born: bool = True) -> None:
        with self.engine.connect() as conn:
            pids = conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :d "
                                     "AND application_name <> :me"), {"d": self.database, "me": STATS_APP}).all()
        for pid in pids:
            started, ticks = process_times(pid)
            if started is None:
                continue
            if (pid, started) not in self.first:
                self.first[(pid, started)] = 0 if born else ticks
                if born:
                    self.newborn.add((pid, started))
            self.last[(pid, started)] = ticks

    def ticks(self) -> int:
        return sum(ticks - self.first[key] for key, ticks in self.last.items())

    def born(self) -> int:
        """How many backends born in the window it saw (to set against pg_stat_database's sessions)."""
        return len(self.newborn)


def process_times(pid: int) -> tuple[int | None, int]:
    """A process's start time (clock ticks after boot) and its user + system CPU ticks; (None, 0) when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None, 0
    return int(fields[19]), int(fields[11]) + int(fields[12])


def group_cpu(pgid: int) -> dict[int, int]:
    """CPU ticks of every process of the server's process group (gunicorn's master and workers)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                found[int(entry.name)] = int(fields[11]) + int(fields[12])
    return found


def figures(base: str) -> dict[str, float]:
    """The server's /metrics: each figure summed over its labels."""
    status, payload, _, _ = Client(base, SCRAPE_TOKEN).call("GET", "/metrics")
    expect(status == 200, f"/metrics answers: {status}")
    found: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(payload.decode()):
        for sample in family.samples:
            found[sample.name] += sample.value
    return found


def statements(base: str) -> float:
    return figures(base)[SQL]


def statements_per_request(base: str, token: str, rounds: int = 5) -> dict[str, float]:
    """One client alone: the statements each kind of request sends (the /metrics counter before and after it)."""
    client, found = Client(base, token), defaultdict(list)
    first = statements(base)
    scrape = statements(base) - first  # what a scrape itself sends (its gauges), counted by the next scrape

    def counted(kind: str, method: str, path: str, body: dict | None = None) -> bytes:
        start = statements(base)
        payload = client.ok(kind, method, path, body)
        found[kind].append(statements(base) - start - scrape)
        return payload

    for _ in range(rounds):
        one_completion(counted)
    return {kind: sum(values) / len(values) for kind, values in found.items()}


# Per table of the database's own (its TOAST table under the table's name): rows read by sequential scans, index
# entries read (every index of the table), heap rows fetched through an index. pg_stat_database counts the same
# three for every relation, the system catalogs too (those the statistics views here read among them).
TABLE_ROWS = """
SELECT coalesce(owner.relname || ' (TOAST)', t.relname), t.seq_tup_read,
       (SELECT coalesce(sum(i.idx_tup_read), 0) FROM pg_stat_all_indexes i WHERE i.relid = t.relid), t.idx_tup_fetch
FROM pg_stat_all_tables t
LEFT JOIN pg_class owner ON owner.reltoastrelid = t.relid
JOIN pg_class c ON c.oid = coalesce(owner.oid, t.relid)
WHERE c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
"""
ROW_COLUMNS = ("seq rows", "index entries", "heap fetches")


def updates(engine) -> dict[str, tuple[int, int]]:
    """Per table of the database's own, rows updated and those of them updated on their page (HOT: no new index
    entry), as table_rows reads its counters."""
    with engine.connect() as conn:
        return {name: (updated, hot) for name, updated, hot in conn.execute(text(
            "SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables"))}


def table_rows(engine) -> dict[str, tuple[int, int, int]]:
    """TABLE_ROWS of the database `engine` is connected to; the server idle for STATS_FLUSH before, or its latest
    statistics are missing."""
    with engine.connect() as conn:
        return {name: (seq or 0, int(entries), fetched or 0)
                for name, seq, entries, fetched in conn.execute(text(TABLE_ROWS))}


def rows_per_request(base: str, token: str, engine, rounds: int = 10) -> dict[str, dict[str, tuple]]:
    """One client alone: the rows PostgreSQL reads per request of each kind, per table (TABLE_ROWS), as
    {kind: {table: (seq rows, index entries, heap fetches)}}. Statistics come late (STATS_FLUSH), so each kind is
    a window of its own: `rounds` lists, then claims of open tasks those lists showed, then completes of the same
    tasks (none is left claimed); the counters before and after each window, divided by its requests."""
    request = Client(base, token).ok
    shown: list[int] = []

    def lists() -> int:
        for _ in range(rounds):
            for task in json.loads(request("list", "GET", "/api/v1/tasks?limit=20"))["tasks"]:
                if task["state"] == "open" and task["id"] not in shown:
                    shown.append(task["id"])
        del shown[rounds:]
        expect(bool(shown), "the list shows open tasks (start more --tickets)")
        return rounds

    def claims() -> int:
        for task_id in shown:
            request("claim", "POST", f"/api/v1/tasks/{task_id}/claim")
        return len(shown)

    def completes() -> int:
        for task_id in shown:
            request("complete", "POST", f"/api/v1/tasks/{task_id}/complete", {"data": ACCEPT})
        return len(shown)

    time.sleep(STATS_FLUSH)
    found, before = {}, table_rows(engine)
    for kind, window in zip(KINDS, (lists, claims, completes), strict=True):
        done = window()
        time.sleep(STATS_FLUSH)
        after = table_rows(engine)
        found[kind] = counted_between(before, after, done)
        before = after
    return found


def counted_between(before: dict[str, tuple], after: dict[str, tuple], requests: int = 1) -> dict[str, tuple]:
    """Per table, what its counters (table_rows', updates') counted between two readings, per request."""
    return {name: tuple((a - b) / requests for a, b in zip(now, before.get(name, (0,) * len(now)), strict=True))
            for name, now in after.items()}


def completion_rows_alone(base: str, token: str, pg, database: str, rounds: int = 10) -> float:
    """One client alone: pg_stat_database's rows read (tup_returned + tup_fetched, the window's counter) per
    completion, that is one list, one claim and one complete, over `rounds` completions in a row. Read from the
    postgres database, so the statistics query's own catalog reads are not counted; autovacuum's would be."""
    client = Client(base, token)
    before = database_counters(pg, database)["rows"]
    for _ in range(rounds):
        one_completion(client.ok)
    return (database_counters(pg, database)["rows"] - before) / rounds


# --- one load phase ------------------------------------------------------------------------------------------------

def drive(base: str, tokens: list[str], clients: int, seconds: float) -> dict:
    """`clients` threads, each as an agent of its own, loop list -> claim -> complete until the window closes."""
    latencies: dict[str, list[float]] = defaultdict(list)
    conflicts: dict[str, int] = defaultdict(int)
    counts = {"completions": 0, "empty": 0}
    lock = threading.Lock()
    until = time.monotonic() + seconds

    def loop(seed: int) -> None:
        client, pick = Client(base, tokens[seed % len(tokens)]), random.Random(seed)
        while time.monotonic() < until:
            status, payload, took, _ = client.call("GET", "/api/v1/tasks?limit=20")
            expect(status == 200, f"list: {status}")
            tasks = [t["id"] for t in json.loads(payload)["tasks"] if t["state"] == "open"]
            record("list", status, took)
            if not tasks:
                with lock:
                    counts["empty"] += 1
                continue
            task_id = pick.choice(tasks)
            status, payload, took, _ = client.call("POST", f"/api/v1/tasks/{task_id}/claim")
            record("claim", status, took)
            if status != 200:
                continue
            status, payload, took, _ = client.call("POST", f"/api/v1/tasks/{task_id}/complete", {"data": ACCEPT})
            record("complete", status, took)
            if status == 200:
                with lock:
                    counts["completions"] += 1

    def record(kind: str, status: int, took: float) -> None:
        expect(status in (200, 409), f"{kind}: unexpected status {status}")
        with lock:
            latencies[kind].append(took * 1000)
            conflicts[kind] += status == 409

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(loop, range(clients)))
    return {"latencies": latencies, "conflicts": conflicts, **counts}


def phase(code: Code, kind: str, command: Callable[[int], list[str]], instance: Path, args, pg) -> dict:
    """One server of one version of the code under load for the window: the figures of one row of the table."""
    database, tokens = make_url(code.database).database, code.tokens
    env = {"KEYDESK_METRICS_TOKEN": SCRAPE_TOKEN, "KEYDESK_CONFIG_CACHE_SECONDS": "120"}  # see "rows per request"
    count = figures if code.metrics else lambda _base: defaultdict(float)  # an earlier checkout may have no /metrics
    stats = create_engine(code.database, isolation_level="AUTOCOMMIT", connect_args={"application_name": STATS_APP})
    with live_server(code.database, instance, None, env=env, command=command, cwd=code.cwd) as (base, process):
        drive(base, tokens, args.clients, 2)  # warm up: imports, every client's connection and cached sign-in
        served_before, db_before = count(base), database_counters(pg, database)
        tables_before, updates_before = table_rows(stats), updates(stats)  # database_counters waited for them
        cpu_before, started = group_cpu(process.pid), time.monotonic()
        with BackendCPU(pg, database) as backends:
            result = drive(base, tokens, args.clients, args.seconds)
        window, cpu_after = time.monotonic() - started, group_cpu(process.pid)
        db_after = database_counters(pg, database)
        tables_after, updates_after = table_rows(stats), updates(stats)  # before the scrape: not the window's
        served_after = count(base)
        alone_rows = rows_per_request(base, tokens[0], stats)
        alone_db_rows = completion_rows_alone(base, tokens[0], pg, database)
        alone = statements_per_request(base, tokens[0]) if code.metrics else None
    stats.dispose()
    done = max(result["completions"], 1)
    server_cpu = sum(cpu_after.get(pid, 0) - ticks for pid, ticks in cpu_before.items())
    server_cpu += sum(ticks for pid, ticks in cpu_after.items() if pid not in cpu_before)
    pg_cpu = backends.ticks()
    return {"name": f"{code.label}, {kind}", "code": code.label, "kind": kind, "window": window,
            "load": os.getloadavg()[0], **result,
            "server_ms": server_cpu / CLOCK_TICKS * 1000 / done, "pg_ms": pg_cpu / CLOCK_TICKS * 1000 / done,
            "sql": (served_after[SQL] - served_before[SQL]) / done if code.metrics else None,
            "overruns": served_after[OVERRUNS] - served_before[OVERRUNS],
            "rows": (db_after["rows"] - db_before["rows"]) / done, "alone": alone, "alone_rows": alone_rows,
            "alone_db_rows": alone_db_rows,
            "load_rows": counted_between(tables_before, tables_after, done),
            "updates": counted_between(updates_before, updates_after),
            "backends": (backends.born(), db_after["sessions"] - db_before["sessions"])}


# --- raw SpiffWorkflow ---------------------------------------------------------------------------------------------

def raw_steps_per_second(seconds: float = 5) -> float:
    """bench/engine.py's raw lifecycle of the same diagram, repeated for `seconds`: 7 steps each."""
    bench_engine = sibling("engine")
    specs = bench_engine.raw_specs()
    bench_engine.raw_lifecycle(specs, [])  # warm up
    laps: list[float] = []
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        bench_engine.raw_lifecycle(specs, laps)
    return len(laps) / (time.perf_counter() - started)


# --- the inbox at 100,000 open tasks -------------------------------------------------------------------------------

def top_up_open_tasks(pg_url: str, target: int) -> int:
    """Add open tasks on the existing tickets until `target` are open, one in five the agent's and the rest other
    queues' (tech, billing, manager, engineer): those are an overdue backlog, due before any of the agent's, so the
    agent's first page is behind all of them in the due-time order of all open tasks. One in ten has no due time."""
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        open_now = conn.scalar(text("SELECT count(*) FROM human_tasks WHERE state IN ('open', 'claimed')"))
        conn.execute(text("""
            INSERT INTO human_tasks (ticket_id, spiff_task_id, element_id, name, role, state, priority, created_at,
                                     due_at, ticket_number, ticket_title, ticket_channel, ticket_branch_id)
            SELECT t.id, gen_random_uuid()::text, 'accept_fault', 'Accept the fault',
                   (ARRAY['agent', 'tech', 'billing', 'manager', 'engineer'])[i % 5 + 1], 'open', 'normal', now(),
                   CASE WHEN i % 10 = 0 THEN NULL
                        WHEN i % 5 = 0 THEN now() + (i % 5000) * interval '1 minute'
                        ELSE now() - interval '1 day' + (i % 1000) * interval '1 minute' END,
                   t.number, t.title, t.channel, t.branch_id
            FROM generate_series(1, :n) AS i
            JOIN tickets t ON t.id = (SELECT min(id) FROM tickets) + i % (SELECT count(*) FROM tickets)
            """), {"n": max(target - open_now, 0)})
        conn.execute(text("ANALYZE human_tasks"))
        total = conn.scalar(text("SELECT count(*) FROM human_tasks WHERE state IN ('open', 'claimed')"))
    engine.dispose()
    return total


def signed_in_cookie(client: Client) -> str:
    status, page, _, headers = client.call("GET", "/login", headers={})
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = f"username=agent&password=demo&csrf_token={csrf}"
    connection = http.client.HTTPConnection(client.host, client.port, timeout=60)
    connection.request("POST", "/login", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    response = connection.getresponse()
    response.read()
    expect(response.status == 302, f"the agent signs in: {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0]


def first_pages(base: str, token: str, rounds: int) -> list[list[str]]:
    client = Client(base, token)
    cookie = {"Cookie": signed_in_cookie(client)}
    pages = (("GET /api/v1/tasks (100 rows)", "/api/v1/tasks", client.headers),
             ("web inbox list, My queues (50 rows)", "/inbox/list?view=queues", cookie),
             ("web inbox list, Mine", "/inbox/list?view=mine", cookie),
             ("web inbox page, My queues", "/inbox?view=queues", cookie))
    rows = []
    for name, path, headers in pages:
        timings = []
        for i in range(rounds + 2):
            status, payload, took, _ = client.call("GET", path, headers=headers)
            expect(status == 200, f"{path}: {status}")
            if i >= 2:
                timings.append(took * 1000)
        rows.append([name, f"{pct(timings, 50):.1f}", f"{pct(timings, 95):.1f}", f"{len(payload) / 1024:.0f}"])
    return rows


# The first page as one walk of all open tasks in due order, filtered by role (the query before the role's index):
# it reads every task of other queues due sooner than the agent's.
ONE_WALK = """
SELECT human_tasks.id, human_tasks.name, human_tasks.due_at, tickets.number, users.username
FROM human_tasks JOIN tickets ON tickets.id = human_tasks.ticket_id
LEFT OUTER JOIN users ON users.id = human_tasks.assignee_id
WHERE (human_tasks.assignee_id = %(user)s OR human_tasks.role = ANY(%(roles)s))
  AND human_tasks.state IN ('open', 'claimed') AND tickets.branch_id = ANY(%(branches)s)
ORDER BY human_tasks.due_at NULLS LAST, human_tasks.id LIMIT 100
"""


def explain_first_page(url: str) -> tuple[str, str]:
    """EXPLAIN ANALYZE of the API's first page as KeyDesk sends it, and as one walk of the due-time order."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        agent = users.by_username("agent")
        sent: list[tuple] = []
        listener = lambda _c, _cur, sql, params, _ctx, _many: sent.append((sql, params))  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        inbox.tasks_for(agent)
        event.remove(db.engine, "before_cursor_execute", listener)
        sql, params = next((s, p) for s, p in sent if "FROM human_tasks" in s and "ORDER BY" in s)
        scope = branches.visible_ids(agent)
        expect(scope is not None, "the demo agent sees the tickets of some branches, not all")
        walk = {"user": agent.id, "roles": sorted(agent.role_names), "branches": sorted(scope)}
        plans = []
        for query, values in ((sql, params), (ONE_WALK, walk)):
            lines = db.session.connection().exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {query}", values).scalars()
            plans.append("\n".join(lines))
        db.session.rollback()
        db.engine.dispose()
    return plans[0], plans[1]


# --- printing ------------------------------------------------------------------------------------------------------

def rate(p: dict) -> float:
    return p["completions"] / p["window"]


def medians(runs: list[dict]) -> dict[str, float]:
    """The median of each figure the comparisons use, over the runs of one server of one code."""
    return {"rate": statistics.median(rate(p) for p in runs),
            **{key: statistics.median(p[key] for p in runs) for key in ("server_ms", "pg_ms", "rows")}}


def alone_rows(p: dict, kind: str) -> dict[str, float]:
    """Rows read per request of one kind, one client alone, per table (the three columns added)."""
    return {name: sum(figures) for name, figures in p["alone_rows"][kind].items()}


def completion_rows(p: dict) -> list[tuple[str, list[float], tuple]]:
    """Per table, the rows of one list, one claim and one complete alone added up, and the rows per completion under
    load (TABLE_ROWS' three columns each), the tables that read most under load first."""
    per_table: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(ROW_COLUMNS))
    for kind in KINDS:
        for name, figures in p["alone_rows"][kind].items():
            per_table[name] = [total + figure for total, figure in zip(per_table[name], figures, strict=True)]
    loaded = p["load_rows"]
    found = [(name, figures, loaded.get(name, (0, 0, 0))) for name, figures in per_table.items()]
    return sorted((item for item in found if sum(item[1]) + sum(item[2]) >= 0.05),
                  key=lambda item: (-sum(item[2]), -sum(item[1])))


def report(phases: list[dict], raw: float, args) -> None:
    print(f"\n{args.clients} clients, {args.seconds:.0f} s per server, PostgreSQL; each client loops "
          "GET /api/v1/tasks -> claim -> complete")
    header = ["server", "completions/s", "server CPU ms", "PG CPU ms", "SQL", "PG rows", "raw steps/s ÷ this",
              "load"]
    rows = []
    for p in phases:
        rows.append([p["name"], f"{rate(p):.1f}", f"{p['server_ms']:.1f}", f"{p['pg_ms']:.1f}",
                     "-" if p["sql"] is None else f"{p['sql']:.1f}", f"{p['rows']:.0f}",
                     f"{raw / rate(p):.0f}×" if rate(p) else "-", f"{p['load']:.1f}"])
    print(table(header, rows))
    print("(CPU, SQL and PG rows are per completion; a completion also paid for its list and claim requests;\n"
          " SQL \"-\": that code has no /metrics to count them;\n"
          " load: the machine's 1-minute load average at the end of the window, against its "
          f"{os.cpu_count()} cores)")
    codes = list(dict.fromkeys(p["code"] for p in phases))
    kinds = list(dict.fromkeys(p["kind"] for p in phases))
    typical = {(code, kind): medians([p for p in phases if p["code"] == code and p["kind"] == kind])
               for code in codes for kind in kinds}
    if args.repeat > 1:
        print(f"\nmedian of {args.repeat} runs (the figures below compare these)")
        print(table(["server", "completions/s", "server CPU ms", "PG CPU ms", "PG rows"],
                    [[f"{code}, {kind}", f"{m['rate']:.1f}", f"{m['server_ms']:.1f}", f"{m['pg_ms']:.1f}",
                      f"{m['rows']:.0f}"] for (code, kind), m in typical.items()]))
    for code in codes:
        werkzeug, gunicorn = (typical[code, kind] for kind in kinds)
        if werkzeug["rate"]:
            print(f"{code}: production server / Werkzeug: {gunicorn['rate'] / werkzeug['rate']:.2f}× the "
                  "completions per second")
    if len(codes) == 2:
        print(f"\n{codes[1]} / {codes[0]}, per server kind (below 1: fewer; server CPU and PG rows per completion)")
        ratio_rows = []
        for kind in kinds:
            start, now = (typical[code, kind] for code in codes)
            ratio_rows.append([kind, *(f"{now[key] / start[key]:.2f}×" if start[key] else "-"
                                       for key in ("server_ms", "rows", "rate"))])
        print(table(["server", "server CPU", "PG rows", "completions/s"], ratio_rows))
    print(f"raw SpiffWorkflow, same diagram, this run: {raw:,.0f} steps/s")
    print()
    lat_rows = []
    for p in phases:
        for kind in KINDS:
            values = p["latencies"].get(kind) or [0.0]
            lat_rows.append([f"{p['name']}: {kind}", str(len(p["latencies"].get(kind, []))),
                             f"{pct(values, 50):.1f}", f"{pct(values, 95):.1f}", f"{pct(values, 99):.1f}",
                             str(p["conflicts"].get(kind, 0))])
    print(table(["request", "count", "p50 ms", "p95 ms", "p99 ms", "409"], lat_rows))
    print("\nSQL statements per request, one client alone after the window (mean of 5 rounds):")
    print(table(["server", *KINDS, "completion"],
                [[p["name"], *(f"{p['alone'][k]:.1f}" for k in KINDS), f"{sum(p['alone'].values()):.1f}"]
                 for p in phases if p["alone"]]))
    print("\nPostgreSQL rows per request, one client alone after the window (mean of 10 of each kind; rows of the "
          "database's own\ntables: sequential scan rows + index entries + heap fetches, pg_stat_all_tables and "
          "pg_stat_all_indexes; last column: pg_stat_database's\nrows read, the PG rows column's counter, per "
          "completion of 10 in a row, each a list, a claim and a complete):")
    print(table(["server", *KINDS, "completion", "pg_stat_database"],
                [[p["name"], *(f"{sum(alone_rows(p, kind).values()):.1f}" for kind in KINDS),
                  f"{sum(sum(alone_rows(p, kind).values()) for kind in KINDS):.1f}", f"{p['alone_db_rows']:.1f}"]
                 for p in phases]))
    for p in phases:
        print(f"\n{p['name']}: PostgreSQL rows per table of one completion (list + claim + complete), one client "
              "alone, and per completion under load (the window's rows, the retries after a 409 among them)")
        print(table(["table", *ROW_COLUMNS, "rows", "under load: seq rows", "under load: rows"],
                    [[name, *(f"{x:.1f}" for x in figures), f"{sum(figures):.1f}", f"{loaded[0]:.1f}",
                      f"{sum(loaded):.1f}"]
                     for name, figures, loaded in completion_rows(p)]))
    print("\nrows updated on their page (HOT: no new index entry) in the loaded window, of all rows updated:")
    for p in phases:
        shares = [f"{name} {hot / updated:.0%} of {updated:,.0f}" for name, (updated, hot)
                  in sorted(p["updates"].items(), key=lambda item: -item[1][0]) if updated]
        print(f"{p['name']}: {', '.join(shares[:5])}")
    for p in phases:
        seen, born = p["backends"]
        if seen < born:
            print(f"note: {p['name']}: PG CPU counts {seen} of the {born} backends born in the window; the others came "
                  "and went between two samples")
        if p["overruns"]:
            requests = sum(len(values) for values in p["latencies"].values())
            print(f"note: {p['name']}: {p['overruns']:.0f} of its {requests} requests waited their worker's page "
                  "turn the longest they may (web/page_turns.py) and ran beside the one ahead")
        if p["empty"]:
            print(f"note: {p['name']} found an empty list {p['empty']} times (start more --tickets)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_load")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--tickets", type=int, default=10_000,  # both servers, 30 s each, at ~100 completions/s
                        help="faults to work on per turn (--repeat)")
    parser.add_argument("--inbox-tasks", type=int, default=100_000)
    parser.add_argument("--staff", type=int, default=300,
                        help="colleagues added to the directory (add_staff); 0: the demo's people and the agents alone")
    parser.add_argument("--rounds", type=int, default=40, help="requests per inbox page")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each server of each code N times, in turn; ratios from the medians")
    parser.add_argument("--threads", type=int, default=run.DEFAULT_THREADS,
                        help=f"threads per gunicorn worker, both codes (run.py serve's default: {run.DEFAULT_THREADS})")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="a checkout of an earlier commit, measured in the same run on a database of its own")
    args = parser.parse_args()
    expect(make_url(args.database).get_backend_name() == "postgresql", "--database is a PostgreSQL URL")
    expect(0 < args.seconds <= 600 and 0 < args.clients <= 256 and 0 < args.repeat <= 9 and 0 < args.threads <= 64
           and 0 <= args.staff <= 100_000,
           "a bounded run: --seconds 1-600, --clients 1-256, --repeat 1-9, --threads 1-64, --staff 0-100000")
    instance = Path(tempfile.mkdtemp(prefix="keydesk-load-"))
    codes = []
    if args.baseline:
        commit = subprocess.run(["git", "-C", str(args.baseline), "rev-parse", "--short", "HEAD"], check=True,
                                stdout=subprocess.PIPE, text=True).stdout.strip()
        url = make_url(args.database)
        url = url.set(database=f"{url.database}_base").render_as_string(hide_password=False)
        codes.append(Code(commit, f"{commit} (issue start)", args.baseline.resolve(), url,
                          prepare_baseline(args.baseline, url, instance / "setup_base", args.clients),
                          *baseline_servers(args.baseline, args.workers, args.threads), metrics=False))
    tokens = prepare(args.database, instance / "setup", args.clients)
    token = tokens[0]
    codes.append(Code("now", "now", ROOT, args.database, tokens, run_py_serve(None), production(args), True))
    pg = create_engine(make_url(args.database).set(database="postgres"))
    for code in codes:
        add_staff(code.database, args.staff)
        with live_server(code.database, instance / f"fill-{code.name}", None, command=code.gunicorn,
                         cwd=code.cwd) as (base, _):
            started = time.perf_counter()
            fill(base, code.tokens[0], args.tickets * args.repeat)
            print(f"{code.label}: started {args.tickets * args.repeat} faults over HTTP in "
                  f"{time.perf_counter() - started:.0f} s")
        analyze(code.database)
    phases = []
    for turn in range(1, args.repeat + 1):  # each server kind of both codes, in turn, `repeat` times
        for kind in ("Werkzeug", gunicorn_kind(args)):
            for code in codes:
                command = code.werkzeug if kind == "Werkzeug" else code.gunicorn
                found = phase(code, kind, command, instance / f"{code.name}-{kind.split()[0]}-{turn}", args, pg)
                phases.append({**found, "name": found["name"] + (f", run {turn}" if args.repeat > 1 else "")})
    raw = raw_steps_per_second()
    report(phases, raw, args)
    if args.inbox_tasks:
        total = top_up_open_tasks(args.database, args.inbox_tasks)
        print(f"\ninbox first pages at {total:,} open tasks, {args.rounds} requests each, gunicorn "
              f"{args.workers} workers, one client")
        with live_server(args.database, instance / "inbox", args.workers) as (base, _):
            rows = first_pages(base, token, args.rounds)
        print(table(["page", "p50 ms", "p95 ms", "KB"], rows))
        now, old = explain_first_page(args.database)
        print("\nEXPLAIN ANALYZE of the first page of GET /api/v1/tasks (ORDER BY due_at NULLS LAST, id):")
        print(now)
        print("\nthe same page as one walk of all open tasks in due order, filtered by role (before the role's index), "
              "for comparison:")
        print(old)
    pg.dispose()


if __name__ == "__main__":
    main()
