"""Two production servers (`run.py serve --workers N`, gunicorn) on one PostgreSQL database, through real sockets:
what one does, the other shows at once; neither runs the scheduler; each worker's figures add up in /metrics. A
server killed with kill -9 in the middle of a burst leaves no half-updated ticket."""

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select, text

import run
from engine import runtime
from engine.db import db
from engine.directory import users
from engine.models import Ticket, TicketEvent
from tests.conftest import postgres_url
from tests.live_server import live_server
from tests.test_tickets import ACCEPT, REPORT
from web import create_app

pytestmark = pytest.mark.postgres
SCRAPE_TOKEN = "scrape-two-servers"


@pytest.fixture
def database(tmp_path, monkeypatch):
    """This run's PostgreSQL database, emptied, upgraded and given the demo data the way an operator would."""
    url = postgres_url()
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path / "setup"))
    app = create_app()
    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        db.engine.dispose()
    assert run.main(["demo"]) == 0
    with app.app_context():
        token = users.issue_token(users.by_username("agent"))
        db.engine.dispose()
    return url, token


def call(base: str, method: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict | str]:
    request = urllib.request.Request(f"{base}{path}", method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, raw = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read().decode()
    return status, json.loads(raw) if raw.startswith("{") else raw


def figure(base: str, name: str, **labels) -> float:
    _, body = call(base, "GET", "/metrics", SCRAPE_TOKEN)
    return sum(s.value for family in text_string_to_metric_families(body) for s in family.samples
               if s.name == name and labels.items() <= s.labels.items())


def test_a_task_completed_through_one_server_is_seen_at_once_through_the_other(database, tmp_path):
    url, token = database
    env = {"KEYDESK_METRICS_TOKEN": SCRAPE_TOKEN}
    with live_server(url, tmp_path / "a", workers=2, env=env) as (a, _), \
            live_server(url, tmp_path / "b", workers=1, env=env) as (b, _):
        status, ticket = call(a, "POST", "/api/v1/tickets", token,
                              {"process": "red_fault", "title": "Line down", "customer_id": 1, "data": REPORT})
        assert status == 201, ticket
        task_id = ticket["tasks"][0]["id"]
        assert [t["id"] for t in call(b, "GET", "/api/v1/tasks", token)[1]["tasks"]] == [task_id]
        assert call(a, "POST", f"/api/v1/tasks/{task_id}/claim", token)[0] == 200
        assert call(a, "POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": ACCEPT})[0] == 200

        status, seen = call(b, "GET", f"/api/v1/tasks/{task_id}", token)
        assert (status, seen["state"], seen["assignee"]) == (200, "completed", "agent")
        after = call(b, "GET", f"/api/v1/tickets/{ticket['id']}", token)[1]
        assert [t["name"] for t in after["tasks"]] != ["Accept the fault"] and after["tasks"]
        assert call(b, "POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": ACCEPT})[0] == 409

        for base in (a, b):  # the web workers never run the scheduler: no heartbeat was ever written
            status, health = call(base, "GET", "/healthz", token)
            assert status == 503 and health["checks"]["scheduler"] == "down: no scheduler has run"
        assert figure(a, "keydesk_engine_step_seconds_count", kind="completed") == 1  # whichever worker did it
        assert figure(b, "keydesk_engine_step_seconds_count", kind="completed") == 0
        assert figure(b, "keydesk_http_requests_total", route="/api/v1/tasks/<int:task_id>/complete",
                      status="409") == 1
        assert figure(a, "keydesk_http_requests_total", route="/api/v1/tickets", status="201") == 1


def burst(base: str, token: str, stop: threading.Event, acknowledged: dict, failures: list) -> None:
    """Open a fault and complete its first task, again and again, noting what the server acknowledged, until stopped
    or the server is gone."""
    while not stop.is_set():
        try:
            status, ticket = call(base, "POST", "/api/v1/tickets", token,
                                  {"process": "red_fault", "title": "Burst", "customer_id": 1, "data": REPORT})
            assert status == 201, ticket
            acknowledged["tickets"].add(ticket["id"])
            task_id = ticket["tasks"][0]["id"]
            status, body = call(base, "POST", f"/api/v1/tasks/{task_id}/complete", token, {"data": ACCEPT})
            assert status == 200, body
            acknowledged["tasks"].add(task_id)
        except OSError as err:  # refused, reset, or the connection closed in the middle of an answer
            failures.append(err)
            return


def half_updated(ticket: Ticket) -> list[str]:
    """What of the ticket disagrees with itself: its workflow, its task rows, its status and its history."""
    workflow = runtime.load(ticket)
    history = db.session.execute(select(TicketEvent.kind, TicketEvent.task_id)
                                 .where(TicketEvent.ticket_id == ticket.id)).all()
    of_kind = {kind: sorted(task for k, task in history if k == kind) for kind in ("task_created", "completed")}
    wrong = []
    if {str(t.id) for t in runtime.ready_human_tasks(workflow)} != {
            t.spiff_task_id for t in ticket.tasks if t.state in ("open", "claimed")}:
        wrong.append("the waiting tasks differ from the workflow's")
    if (ticket.status == "closed") != runtime.finished(workflow):
        wrong.append(f"status {ticket.status} but workflow finished: {runtime.finished(workflow)}")
    if [kind for kind, _ in history].count("created") != 1:
        wrong.append("not one 'created' line")
    if of_kind["task_created"] != [t.id for t in ticket.tasks]:
        wrong.append("a task without its history line")
    if of_kind["completed"] != [t.id for t in ticket.tasks if t.state == "completed"]:
        wrong.append("a completion without its history line, or one too many")
    return wrong


def test_a_server_killed_during_a_burst_leaves_no_half_updated_ticket(database, tmp_path):
    """Six clients open and work faults through a two-worker server; kill -9 of the whole server mid-burst.

    Every step is one transaction: what the server acknowledged is in the database, and no ticket is half
    written (workflow state, task rows, status and history agree).
    """
    url, token = database
    acknowledged, failures, stop = {"tickets": set(), "tasks": set()}, [], threading.Event()
    with live_server(url, tmp_path / "web", workers=2) as (base, process):
        clients = [threading.Thread(target=burst, args=(base, token, stop, acknowledged, failures), daemon=True)
                   for _ in range(6)]
        for client in clients:
            client.start()
        deadline = time.monotonic() + 120
        while len(acknowledged["tasks"]) < 30 and not failures and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acknowledged["tasks"]) >= 30 and not failures, failures
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(30)
        stop.set()
        for client in clients:
            client.join(60)
    in_flight = [err for err in failures if not isinstance(getattr(err, "reason", err), ConnectionRefusedError)]
    assert in_flight, f"no request was cut off by the kill: {failures}"

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        found = list(db.session.scalars(select(Ticket)))
        assert acknowledged["tickets"] <= {t.id for t in found}
        assert acknowledged["tasks"] <= {task.id for t in found for task in t.tasks if task.state == "completed"}
        assert {t.number: half_updated(t) for t in found if half_updated(t)} == {}
        db.session.remove()
        db.engine.dispose()
