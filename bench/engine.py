"""How many red-channel fault tickets KeyDesk can carry from start to close per second, and where the time goes.

One *lifecycle* is the longest path through ``bpmn/red_fault.bpmn``:

    start the ticket -> accept (level 1 by the decision table) -> on site -> repair (not restored)
    -> repair (restored) -> revisit (compensation due) -> carry out compensation -> closed

It is run four ways, each on its own, one after the other, in this process:

raw     SpiffWorkflow alone, in memory (its diagram code still runs in KeyDesk's evaluator processes): the diagram
        is parsed once (with ``engine.diagrams.build_parser``, so timers are quoted as in production), then each
        lifecycle builds a ``BpmnWorkflow`` and completes each READY manual task with ``task.data.update`` +
        ``task.run()`` + ``workflow.do_engine_steps()``.
        No database, no serialization, no form checks; service tasks answer canned results. This is the floor.
in-proc The raw lifecycle again, with each evaluation request answered in this process instead of an evaluator
        process: the baseline for what the process boundary costs a step (printed last, as "x in-proc").
engine  ``engine.tickets.start_ticket`` / ``engine.tickets.complete`` in an app context, on a fresh database.
        Each step validates the form, loads the workflow from its JSON, runs it, saves it back, syncs the task
        table and writes history, in one transaction. Every step runs in its own app context (a fresh session,
        as a request has); the actor and the open task are looked up there, outside the step's own timing.
http    The same lifecycle through Flask's test client with Bearer tokens, on another fresh database of the same
        kind: ``POST /tickets``, then per step ``GET /tickets/{id}`` (to find the open task, as a client would)
        and ``POST /tasks/{id}/complete``. Adds routing, token lookup, JSON in and out (no sockets).

Reading the figures
    lifecycles/s    N lifecycles divided by the wall time of the N (warm-up lifecycles are not counted). That time
                    holds all a lifecycle does: engine's look-ups of actor and task, http's GETs, app contexts.
    ms/lifecycle    the inverse; "x raw" is ms/lifecycle divided by raw's: the price of persistence (engine) and
                    of persistence plus the web layer (http) over bare SpiffWorkflow.
    state/ticket    the average length of ``tickets.workflow_state`` (ASCII JSON, so characters = bytes) at the end.
    peak RSS        the process's peak resident memory so far (getrusage), read after each phase; it only grows.
    per step        median and 95th percentile of one step's latency in ms. engine: the ``tickets.*`` call alone.
                    http: the request(s) of that step (start: 1 POST; the others: 1 GET + 1 POST). raw: one step.

The figures move with the machine, the disk (SQLite fsyncs on every commit) and whatever else runs there: compare
runs on the same machine, not against a fixed number. Nothing is asserted on time; the run only stops if a
lifecycle does not take the expected path.

    .venv/bin/python bench/engine.py                      # temporary SQLite files, default N
    .venv/bin/python bench/engine.py --lifecycles 500
    .venv/bin/python bench/engine.py --database postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_bench
    .venv/bin/python bench/engine.py --profile            # also cProfile the engine phase (engine/, SpiffWorkflow)

A given database is wiped: SQLite tables are dropped and recreated, PostgreSQL's public schema is dropped and
recreated (the PostgreSQL database itself is created when missing).
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip
from common import ROOT, expect, fresh_app, pct, print_profile, table  # isort: skip

import argparse  # noqa: E402
import cProfile  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from engine import diagrams, tickets  # noqa: E402
from engine.db import db  # noqa: E402
from engine.directory import users  # noqa: E402
from engine.models import HumanTask, Ticket  # noqa: E402
from engine.sandbox import evaluator  # noqa: E402
from engine.sandbox.script_engine import make_script_engine  # noqa: E402

DEFAULT_LIFECYCLES = 200
WARMUP = 3
BPMN = ROOT / "bpmn" / "red_fault.bpmn"
DMN = ROOT / "bpmn" / "red_fault.dmn"

# The form data of each step (the same values as tests/test_tickets.py).
REPORT = {"service": "leased_line", "description": "Link down at the port office"}
LIFECYCLE = [  # (the task the process must be waiting in, who completes it, the form they send)
    ("accept_fault", "agent", {"impact": "outage", "impact_details": "All branches offline",
                               "customer_answered": True}),
    ("dispatch_on_site", "tech", {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"}),
    ("repair_fault", "tech", {"cause": "Fibre cut", "action": "Crew on the way", "restored": False}),
    ("repair_fault", "tech", {"cause": "Fibre cut", "action": "Spliced the fibre", "restored": True}),
    ("revisit_customer", "manager", {"revisit_done": True, "satisfaction": 3, "compensation_due": True,
                                     "notes": "Four hours down"}),
    ("compensate_customer", "manager", {"amount": 500, "method": "bill_credit"}),
]
STEPS = ["start", "accept", "on site", "repair (not restored)", "repair (restored)", "revisit (compensation due)",
         "compensation"]


# --- 1. raw SpiffWorkflow ------------------------------------------------------------------------------------------

# Raw SpiffWorkflow has no ticket: its service tasks get what KeyDesk's handlers would answer for customer 1.
RAW_SERVICE_RESULTS = {
    "customer_profile": {"code": "G0001", "name": "Shanghai Port Logistics Group", "tier": "A+", "member_card": None,
                         "credit_level": "red", "arpu": 186000.0, "points": 0, "tenure_years": 17},
    "record_on_ticket": {"recorded": ["fault_level"]}, "notify_role": {"notified": 1},
    "notify_customer": {"sent": True}, "set_priority": {"priority": "urgent"},
}
RAW_SERVICES = lambda task, operation_name, operation_params: json.dumps(RAW_SERVICE_RESULTS[operation_name])  # noqa: E731
RAW_SCRIPT_ENGINE = make_script_engine(services=RAW_SERVICES)
# The baseline of the evaluator processes: the same requests answered in this process, without the process boundary.
IN_PROCESS_SCRIPT_ENGINE = make_script_engine(services=RAW_SERVICES,
                                              send=lambda request, wall_seconds, max_chars: evaluator.handle(request))


def raw_specs():
    parser = diagrams.build_parser(BPMN.read_bytes(), [DMN.read_bytes()])
    return parser.get_spec("red_fault"), parser.get_subprocess_specs("red_fault")


def raw_lifecycle(specs, laps: list[float], script_engine=RAW_SCRIPT_ENGINE) -> None:
    spec, subprocess_specs = specs
    started = time.perf_counter()
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.task_tree.data.update(REPORT)
    workflow.do_engine_steps()
    laps.append(time.perf_counter() - started)
    for element, _who, data in LIFECYCLE:
        started = time.perf_counter()
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        expect([t.task_spec.bpmn_id for t in ready] == [element], f"raw: expected {element}, found {ready}")
        ready[0].data.update(data)
        ready[0].run()
        workflow.do_engine_steps()
        laps.append(time.perf_counter() - started)
    expect(workflow.is_completed(), "raw: the workflow did not finish")


# --- 2. engine API -------------------------------------------------------------------------------------------------

def open_task(ticket_id: int) -> tuple[int, str]:
    """The id and element of the ticket's one open task, read as plain columns so no ORM object stays cached."""
    rows = db.session.execute(select(HumanTask.id, HumanTask.element_id).where(
        HumanTask.ticket_id == ticket_id, HumanTask.state.in_(("open", "claimed")))).all()
    expect(len(rows) == 1, f"engine: ticket {ticket_id} has {len(rows)} open tasks")
    return rows[0].id, rows[0].element_id


def engine_lifecycle(app, laps: list[float]) -> None:
    # Each step gets a fresh app context, hence a fresh session with nothing cached, as each HTTP request has.
    with app.app_context():
        agent = users.by_username("agent")
        started = time.perf_counter()
        ticket_id = tickets.start_ticket(agent, "red_fault", "Leased line down", customer_id=1,
                                         priority="high", data=REPORT).id
        laps.append(time.perf_counter() - started)
    for element, who, data in LIFECYCLE:
        with app.app_context():
            actor = users.by_username(who)
            task_id, found = open_task(ticket_id)
            expect(found == element, f"engine: expected {element}, found {found}")
            started = time.perf_counter()
            tickets.complete(actor, task_id, data)
            laps.append(time.perf_counter() - started)


# --- 3. HTTP API ---------------------------------------------------------------------------------------------------

def http_lifecycle(client, headers: dict[str, dict], laps: list[float]) -> None:
    def call(method: str, path: str, who: str, expected: int, **kwargs) -> dict:
        response = client.open(f"/api/v1{path}", method=method, headers=headers[who], **kwargs)
        expect(response.status_code == expected, f"http: {method} {path} gave {response.status_code}: "
                                                 f"{response.get_data(as_text=True)[:300]}")
        return response.get_json()

    started = time.perf_counter()
    ticket = call("POST", "/tickets", "agent", 201, json={"process": "red_fault", "title": "Leased line down",
                                                          "customer_id": 1, "priority": "high", "data": REPORT})
    laps.append(time.perf_counter() - started)
    for element, who, data in LIFECYCLE:
        started = time.perf_counter()
        task, = call("GET", f"/tickets/{ticket['id']}", who, 200)["tasks"]
        expect(task["element_id"] == element, f"http: expected {element}, found {task['element_id']}")
        call("POST", f"/tasks/{task['id']}/complete", who, 200, json={"data": data})
        laps.append(time.perf_counter() - started)


# --- databases -----------------------------------------------------------------------------------------------------

def finish(app, name: str) -> float:
    """Check that every ticket of the phase got closed; return the average workflow_state length; let go of the DB."""
    with app.app_context():
        not_closed = db.session.scalar(select(func.count()).where(Ticket.status != "closed"))
        expect(not_closed == 0, f"{name}: {not_closed} tickets did not close")
        size = db.session.scalar(select(func.avg(func.length(Ticket.workflow_state))))
        db.session.remove()
        db.engine.dispose()
    return float(size)


# --- measuring and printing ----------------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run(name: str, lifecycle, n: int) -> dict:
    """WARMUP uncounted lifecycles, then n timed ones; per-step laps are kept for the timed ones only."""
    for _ in range(WARMUP):
        lifecycle([])
    laps: list[float] = []
    started = time.perf_counter()
    for _ in range(n):
        lifecycle(laps)
    wall = time.perf_counter() - started
    steps = [[laps[i] * 1000 for i in range(k, len(laps), len(STEPS))] for k in range(len(STEPS))]
    print(f"  {name:<7} {n} lifecycles in {wall:.1f} s", file=sys.stderr, flush=True)
    return {"name": name, "per_s": n / wall, "ms": wall * 1000 / n, "steps": steps, "rss": peak_rss_mb()}


def report(results: list[dict], sizes: dict[str, float], database: str, n: int) -> None:
    raw = results[0]
    print(f"KeyDesk red_fault lifecycle benchmark - {n} lifecycles per path after {WARMUP} warm-up, "
          f"database {database}")
    print()
    print(table(["path", "lifecycles/s", "ms/lifecycle", "x raw", "state/ticket", "peak RSS"], [
        [r["name"], f"{r['per_s']:.1f}", f"{r['ms']:.2f}", f"{r['ms'] / raw['ms']:.1f}x",
         f"{sizes[r['name']]:,.0f} B" if r["name"] in sizes else "-", f"{r['rss']:.0f} MB"] for r in results]))
    print()
    by_name = {r["name"]: r["steps"] for r in results}
    print(table(["step (ms)", "engine p50", "engine p95", "raw p50", "http p50", "http p95"], [
        [step, f"{statistics.median(by_name['engine'][i]):.2f}", f"{pct(by_name['engine'][i], 95):.2f}",
         f"{statistics.median(by_name['raw'][i]):.3f}", f"{statistics.median(by_name['http'][i]):.2f}",
         f"{pct(by_name['http'][i], 95):.2f}"] for i, step in enumerate(STEPS)]))


def report_evaluators(raw: dict, in_process: dict) -> None:
    """What running diagram code in the evaluator processes costs a step, against running it in this process."""
    print()
    print("Diagram code in evaluator processes (raw) against the same code evaluated in this process (in-proc):")
    print(table(["step (ms)", "in-proc p50", "raw p50", "raw p95", "x in-proc"], [
        [step, f"{statistics.median(in_process['steps'][i]):.3f}", f"{statistics.median(raw['steps'][i]):.3f}",
         f"{pct(raw['steps'][i], 95):.3f}",
         f"{statistics.median(raw['steps'][i]) / statistics.median(in_process['steps'][i]):.1f}x"]
        for i, step in enumerate(STEPS)]))
    print(f"whole lifecycle: {raw['ms']:.2f} ms against {in_process['ms']:.2f} ms in-proc "
          f"({raw['ms'] / in_process['ms']:.1f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=DEFAULT_LIFECYCLES, metavar="N",
                        help=f"timed lifecycles per path (default {DEFAULT_LIFECYCLES})")
    parser.add_argument("--database", metavar="URL",
                        help="SQLAlchemy URL to run on (wiped first); default: temporary SQLite files")
    parser.add_argument("--profile", action="store_true", help="also cProfile the engine phase and print the top")
    args = parser.parse_args(argv)
    if args.lifecycles < 1:
        parser.error("--lifecycles must be at least 1")
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    with tempfile.TemporaryDirectory(prefix="keydesk-bench-") as tmp:
        os.environ.setdefault("KEYDESK_INSTANCE", str(Path(tmp) / "instance"))  # keep secret_key out of the repo
        urls = {name: args.database or f"sqlite:///{Path(tmp) / name}.db" for name in ("engine", "http")}
        shown = make_url(urls["engine"]).render_as_string(hide_password=True) if args.database else "SQLite (temp file)"
        results, sizes = [], {}

        specs = raw_specs()
        results.append(run("raw", lambda laps: raw_lifecycle(specs, laps), args.lifecycles))
        in_process = run("in-proc", lambda laps: raw_lifecycle(specs, laps, IN_PROCESS_SCRIPT_ENGINE), args.lifecycles)

        app = fresh_app(urls["engine"])
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        results.append(run("engine", lambda laps: engine_lifecycle(app, laps), args.lifecycles))
        if profiler:
            profiler.disable()
        sizes["engine"] = finish(app, "engine")

        app = fresh_app(urls["http"])
        with app.app_context():  # tokens are made here; requests must not run inside this context
            headers = {name: {"Authorization": f"Bearer {users.issue_token(users.by_username(name))}"}
                       for name in ("agent", "tech", "manager")}
        client = app.test_client()
        results.append(run("http", lambda laps: http_lifecycle(client, headers, laps), args.lifecycles))
        sizes["http"] = finish(app, "http")

    report(results, sizes, shown, args.lifecycles)
    report_evaluators(results[0], in_process)
    if profiler:
        print_profile(profiler, f"cProfile of the engine phase ({WARMUP + args.lifecycles} lifecycles)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
