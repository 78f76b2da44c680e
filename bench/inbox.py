"""How long the staff pages take with many open tasks: the inbox views, their counts, the task API, a ticket page.

``--tickets`` red-channel tickets (default 1,000) are started through the engine on a fresh SQLite database,
each waiting on the agent's "Accept the fault". With ``--url`` pointing at PostgreSQL, a few tickets are
started through the engine and then copied by SQL (workflow blob included) until ``--open-tasks`` tasks
(default 100,000) are open: half the agent's role, the rest other roles; three in ten claimed, 400 of them by
the demo agent ("Mine"); one in seven without a due time; some overdue, some in SLA warning; four in five on
tickets of nine provinces the demo agent does not see. The agent and the supervisor are signed in with the test
client, then each page is requested ``--rounds`` times (after two warm-up requests), each request in an app
context of its own as in production.

Reading the figures
    p50/p95     median and 95th percentile of one request in ms, rendering included (no socket).
    SQL         statements one request sends: the list is one query plus the counts query whatever the
                number of rows (the first 50 shown), so this must not grow with the number of open tasks.
    EXPLAIN     (PostgreSQL) the plans of the Mine and My-queues lists and of the supervisors' "about to
                breach" strip as the inbox sends them, then the same statements in this run without the
                index each one relies on (dropped inside a transaction that is rolled back): the difference
                is what the index saves; then the plan of the counts, and their time at the earlier cap.
"""

import argparse
import re
import tempfile
import time
from pathlib import Path

import common
from sqlalchemy import event, text

from engine import inbox, tickets
from engine.db import db
from engine.directory import users
from tests.web_data import copy_ticket_columns

PAGES = (  # name, path, who asks (the API pages with a token)
    ("GET /api/v1/tasks (100 rows)", "/api/v1/tasks", "agent token"),
    ("GET /api/v1/tasks?assignee=me", "/api/v1/tasks?assignee=me", "agent token"),
    ("inbox list, Mine", "/inbox/list?view=mine", "agent"),
    ("inbox list, My queues", "/inbox/list?view=queues", "agent"),
    ("inbox list, customer filter", "/inbox/list?view=queues&customer=port", "agent"),
    ("inbox list, Team (supervisor)", "/inbox/list?view=team", "supervisor"),
    ("inbox page, My queues", "/inbox?view=queues", "agent"),
    ("inbox page, Team (supervisor)", "/inbox?view=team", "supervisor"),
)
EARLIER_CAP = 1000  # where the counts stopped before ("999+")
MINE = 400  # tasks the demo agent holds after the SQL fill (a backlog), on tickets of branches the agent sees


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=None, help="started through the engine (1,000; 50 on --url)")
    parser.add_argument("--open-tasks", type=int, default=100_000, help="open tasks after the SQL fill (--url)")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--url", default=None, help="a PostgreSQL URL: fill by SQL, show the plans")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
    app = common.fresh_app(url)
    with app.app_context():
        postgres = db.engine.dialect.name == "postgresql"
        started = time.perf_counter()
        last_ticket = start_tickets(args.tickets or (50 if postgres else 1000))
        if postgres:
            fill_by_sql(args.open_tasks)
        open_tasks = db.session.scalar(text("SELECT count(*) FROM human_tasks WHERE state IN ('open', 'claimed')"))
        print(f"{open_tasks:,} open tasks on {db.engine.dialect.name} (filled in {time.perf_counter() - started:.0f} s)"
              f", {args.rounds} rounds per page")
        token = users.issue_token(users.by_username("agent"))
        db.session.commit()
        engine = db.engine
    # requests run outside the app context, each in its own as in production (g is not shared between them)
    clients = {"agent": signed_in(app, "agent"), "supervisor": signed_in(app, "supervisor"),
               "agent token": bearer(app, token)}
    print(f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'KB':>5}")
    for name, path, who in (*PAGES, ("ticket page", f"/tickets/{last_ticket}", "agent")):
        timings, statements, size = measure(engine, clients[who], path, args.rounds)
        print(f"{name:<34} {common.pct(timings, 50):8.1f} {common.pct(timings, 95):8.1f} {statements:5d} "
              f"{size / 1024:5.0f}")
    if postgres:
        with app.app_context():
            explain_views()


def start_tickets(n: int) -> int:
    """n red-channel faults started through the engine; the id of the last one."""
    agent = users.by_username("agent")
    for i in range(n):
        ticket = tickets.start_ticket(agent, "red_fault", f"line {i}", customer_id=1 + i % 7,
                                      data={"service": "internet", "description": "down"})
    return ticket.id


def fill_by_sql(target: int) -> None:
    """Copy the started tickets (one per two tasks, each with its workflow blob; four in five moved to nine other
    provinces, which the demo agent does not see) and add tasks until `target` are open, spread over roles,
    holders, due times and SLA states as described at the top; then ANALYZE."""
    session = db.session
    missing = target - session.scalar(text("SELECT count(*) FROM human_tasks WHERE state IN ('open', 'claimed')"))
    session.execute(text("""
        INSERT INTO branches (code, name, level, parent_id, active, created_at)
        SELECT 'P' || i, 'Province ' || i, 'province', (SELECT id FROM branches WHERE code = 'HQ'), true, now()
        FROM generate_series(1, 9) AS i
        """))
    session.execute(text("""
        INSERT INTO tickets (number, channel, process_version_id, customer_id, branch_id, title, priority, status,
                             creator_id, created_at, updated_at, data, workflow_state, lock_version)
        SELECT 'B-' || i, t.channel, t.process_version_id, t.customer_id,
               CASE WHEN i % 5 = 0 THEN t.branch_id ELSE (SELECT id FROM branches WHERE code = 'P' || i % 9 + 1) END,
               t.title || ' ' || i, t.priority, t.status, t.creator_id, t.created_at, t.updated_at, t.data,
               t.workflow_state, 1
        FROM generate_series(1, :n) AS i
        JOIN tickets t ON t.id = (SELECT min(id) FROM tickets) + i % (SELECT count(*) FROM tickets)
        """), {"n": max(missing // 2, 1)})
    session.execute(text("""
        WITH copies AS (SELECT min(id) AS first, count(*) AS n FROM tickets WHERE number LIKE 'B-%'),
             people AS (SELECT max(id) FILTER (WHERE username = 'agent') AS agent,
                               max(id) FILTER (WHERE username = 'pudong') AS pudong,
                               max(id) FILTER (WHERE username = 'tech') AS tech,
                               max(id) FILTER (WHERE username = 'manager') AS manager FROM users),
             tasks AS (SELECT i, CASE WHEN i % 10 < 5 THEN 'agent' WHEN i % 10 < 7 THEN 'tech'
                                      WHEN i % 10 < 9 THEN 'manager' ELSE 'supervisor' END AS role,
                              i % (:n / :mine) = 0 AS mine, i % 10 IN (1, 2, 5, 7) AS claimed,
                              CASE WHEN i % 7 <> 0 THEN now() + ((i * 7919) % 20000 - 1000) * interval '1 minute'
                                   END AS due_at
                       FROM generate_series(1, :n) AS i)
        INSERT INTO human_tasks (ticket_id, spiff_task_id, element_id, name, role, assignee_id, state, priority,
                                 sla_state, created_at, due_at, claimed_at)
        SELECT copies.first + (CASE WHEN mine THEN i - i % 5 + 4 ELSE i END) % copies.n, gen_random_uuid()::text,
               'work_' || tasks.role, 'Work it', CASE WHEN mine THEN 'agent' ELSE tasks.role END,
               CASE WHEN mine THEN people.agent WHEN NOT claimed THEN NULL WHEN tasks.role = 'tech' THEN people.tech
                    WHEN tasks.role = 'manager' THEN people.manager ELSE people.pudong END,
               CASE WHEN mine OR claimed THEN 'claimed' ELSE 'open' END, 'normal',
               CASE WHEN due_at < now() THEN 'breached' WHEN i % 97 = 0 THEN 'warned' END,
               now() - (i % 5000) * interval '1 minute', due_at,
               CASE WHEN mine OR claimed THEN now() END
        FROM tasks, copies, people
        """), {"n": max(missing, MINE), "mine": MINE})
    copy_ticket_columns()
    session.execute(text("ANALYZE"))
    session.commit()


def signed_in(app, username: str):
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": username, "password": "demo", "csrf_token": token.group(1)})
    common.expect(client.get("/inbox").status_code == 200, f"{username} is signed in")
    return client


def bearer(app, token: str):
    """A test client that sends the API token with each request."""
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def measure(engine, client, path: str, rounds: int) -> tuple[list[float], int, int]:
    for _ in range(2):
        common.expect(client.get(path).status_code == 200, f"{path} answers 200")
    sent = []
    listener = lambda *a: sent.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        size = len(client.get(path).get_data())
        timings.append((time.perf_counter() - start) * 1000)
    event.remove(engine, "before_cursor_execute", listener)
    return timings, len(sent) // rounds, size


def explain_views() -> None:
    """EXPLAIN ANALYZE of the Mine and My-queues lists and of the supervisors' "about to breach" strip, each with
    and without the index it relies on, then of the counts."""
    agent, supervisor = users.by_username("agent"), users.by_username("supervisor")
    lists = (("the agent's Mine list", lambda: inbox.inbox(agent, view="mine", limit=51),
              ("ix_human_tasks_mine_due",)),
             ("the agent's My-queues list", lambda: inbox.inbox(agent, view="queues", limit=51),
              ("ix_human_tasks_role_due", "ix_human_tasks_queue")),
             ("the supervisor's about-to-breach strip", lambda: inbox.inbox(supervisor, view="team", sla="warning",
                                                                          limit=5), ("ix_human_tasks_warned_due",)))
    for name, call, indexes in lists:
        sql, params = sent_by(call)[0]
        print(f"\nEXPLAIN ANALYZE, {name} as the inbox sends it:\n{plan(sql, params)}")
        print(f"\nthe same without {' and '.join(indexes)}:\n{plan(sql, params, without=indexes)}")
    sql, params = sent_by(lambda: inbox.counts(agent))[0]
    print(f"\nEXPLAIN ANALYZE, the agent's view counts (capped at {inbox.COUNT_CAP}):\n{plan(sql, params)}")
    cap, inbox.COUNT_CAP = inbox.COUNT_CAP, EARLIER_CAP
    try:
        sql, params = sent_by(lambda: inbox.counts(agent))[0]
    finally:
        inbox.COUNT_CAP = cap
    took = plan(sql, params).splitlines()[-1]
    print(f"the same counts capped at {EARLIER_CAP:,}, as before: {took}")


def sent_by(call) -> list[tuple[str, object]]:
    """The statements `call` sends, the list's or the counts' first (the branch scope, read once per transaction,
    is read by a first call)."""
    call()
    sent: list[tuple[str, object]] = []
    listener = lambda _c, _cur, sql, params, _ctx, _many: sent.append((sql, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    call()
    event.remove(db.engine, "before_cursor_execute", listener)
    return sent


def plan(sql: str, params, without: tuple[str, ...] = ()) -> str:
    connection = db.session.connection()
    for index in without:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
    lines = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params).scalars()
    db.session.rollback()  # the dropped indexes come back
    return "\n".join(lines)


if __name__ == "__main__":
    main()
