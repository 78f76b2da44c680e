"""GET /metrics: who may read it, and that its figures move with the work (steps, requests, queues, timers)."""

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, update

from engine import deployments, scheduler, tickets
from engine.db import db
from engine.directory import users
from notifications import outbox
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import TIMER_STEP, simple
from tests.test_tickets import ACCEPT, REPORT
from tests.web_data import colleague

SCRAPE_TOKEN = "scrape-me-7f3c"


@pytest.fixture
def scrape(app, web_client):
    """The figures /metrics shows now, read with the scraper's token: {(name, labels as sorted pairs): value}."""
    app.config["METRICS_TOKEN"] = SCRAPE_TOKEN

    def read() -> dict:
        response = web_client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
        assert response.status_code == 200 and response.mimetype == "text/plain"
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(response.get_data(as_text=True))
                for s in family.samples}

    return read


def value(figures: dict, name: str, **labels) -> float:
    return figures.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_the_scrape_token_and_admins_read_the_figures(app, web_client, staff):
    app.config["METRICS_TOKEN"] = SCRAPE_TOKEN
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {SCRAPE_TOKEN}"}):
        refused = web_client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and "keydesk_" not in refused.get_data(as_text=True)
    assert staff("agent").get("/metrics").status_code == 401
    assert "keydesk_open_tasks" in staff("admin").get("/metrics").get_data(as_text=True)
    app.config["METRICS_TOKEN"] = ""  # no token set: an empty bearer must not match it
    assert web_client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


def test_steps_requests_and_open_tasks_move_with_the_work(api, scrape):
    before = scrape()
    ticket = api("post", "/tickets", "agent", json={"process": "red_fault", "title": "Line down", "data": REPORT})
    task_id = ticket.json["tasks"][0]["id"]
    assert api("post", f"/tasks/{task_id}/claim", "agent").status_code == 200
    colleague("agent", "agent2")
    assert api("post", f"/tasks/{task_id}/claim", "agent2").status_code == 409  # held by agent: no step
    middle = scrape()
    assert api("post", f"/tasks/{task_id}/complete", "agent", json={"data": ACCEPT}).status_code == 200
    after = scrape()

    def moved(name: str, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert {kind: moved("keydesk_engine_step_seconds_count", kind=kind)
            for kind in ("created", "claimed", "completed")} == {"created": 1, "claimed": 1, "completed": 1}
    assert moved("keydesk_engine_step_seconds_sum", kind="completed") > 0
    claim = {"method": "POST", "route": "/api/v1/tasks/<int:task_id>/claim"}
    assert moved("keydesk_http_requests_total", status="200", **claim) == 1
    assert moved("keydesk_http_requests_total", status="409", **claim) == 1
    assert moved("keydesk_http_request_seconds_count", **claim) == 2
    assert value(middle, "keydesk_open_tasks", state="claimed") == 1
    assert value(after, "keydesk_open_tasks", state="claimed") == 0
    assert value(after, "keydesk_open_tasks", state="open") >= 1  # the fault's next task waits for its role


def test_the_timer_lag_and_the_outbox_backlog_are_read_from_the_database(app, scrape, fake_clock):
    supervisor = users.by_username("supervisor")
    deployments.deploy(supervisor, simple(key="waits", step=TIMER_STEP.replace("{duration}", "PT1M")))
    tickets.start_ticket(users.by_username("agent"), "waits", "waits a minute")
    assert value(scrape(), "keydesk_timer_lag_seconds") == 0  # armed, not yet due
    fake_clock.advance(minutes=3)
    assert value(scrape(), "keydesk_timer_lag_seconds") == 120
    fired = value(scrape(), "keydesk_engine_step_seconds_count", kind="timer_fired")
    assert scheduler.sweep() == 1
    figures = scrape()
    assert value(figures, "keydesk_timer_lag_seconds") == 0
    assert value(figures, "keydesk_engine_step_seconds_count", kind="timer_fired") == fired + 1
    unsent = {state: value(figures, "keydesk_outbox_messages", state=state) for state in ("pending", "failed")}
    for n in range(3):
        outbox.enqueue_to("test", "sms", "+86 138 0000 000{n}", "", "hello", dedupe=f"metrics-{n}")
    db.session.commit()
    assert value(scrape(), "keydesk_outbox_messages", state="pending") == unsent["pending"] + 3
    db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == "metrics-0:sms").values(state="failed"))
    db.session.commit()
    figures = scrape()
    assert {state: value(figures, "keydesk_outbox_messages", state=state) for state in ("pending", "failed")} == {
        "pending": unsent["pending"] + 2, "failed": unsent["failed"] + 1}


def test_every_sql_statement_is_counted(api):
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    start = REGISTRY.get_sample_value("keydesk_sql_statements_total")
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert api("post", "/tickets", "agent", json={"process": "red_fault", "title": "Line down",
                                                      "data": REPORT}).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    db.session.close()  # the connection goes back to the pool: its statements are published then
    assert len(sent) > 3 and REGISTRY.get_sample_value("keydesk_sql_statements_total") - start == len(sent)
