"""Two production servers (`run.py serve --workers N`, gunicorn) on one PostgreSQL database, through real sockets:
what one does, the other shows at once; neither runs the scheduler; each worker's figures add up in /metrics."""

import json
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

import run
from engine.db import db
from engine.directory import users
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
