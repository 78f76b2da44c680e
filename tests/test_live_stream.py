"""The live stream: who may open it (the session on the pages, a bearer token on the API), what it sends, resuming
from Last-Event-ID, and the per-worker cap that keeps streams from taking every thread."""

import json

import pytest

from tests.web_data import red_ticket
from web import production


@pytest.fixture(autouse=True)
def one_read_per_stream(app):
    """A stream reads once and ends (in production it reads every second for 25 s)."""
    app.config["LIVE_STREAM_SECONDS"] = 0


def messages(response) -> list[dict]:
    """The stream's messages as {event, id, data}."""
    found = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            found.append({"event": fields.get("event", "message"), "id": fields["id"],
                          "data": json.loads(fields["data"])})
    return found


def notices(response) -> list[str]:
    return [m["data"]["ticket"]["number"] for m in messages(response) if m["event"] == "message"]


def test_anonymous_visitors_get_401_not_a_sign_in_page(client):
    response = client.get("/live/events", headers={"Accept": "text/event-stream"})
    assert response.status_code == 401
    assert "Sign in" in response.get_data(as_text=True) and "请登录" in response.get_data(as_text=True)


def test_the_api_stream_takes_a_token_and_never_the_session(api, staff):
    assert api("get", "/events").status_code == 401
    assert api("get", "/events", headers={"Authorization": "Bearer kd_forged"}).status_code == 401
    signed_in = staff("agent")
    assert signed_in.get("/api/v1/events").status_code == 401  # the cookie is no credential for the API
    response = api("get", "/events", "agent")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.get_data(as_text=True).startswith("retry: 2000\n\n")


def test_a_stream_starts_now_and_resumes_from_the_last_event_id(staff):
    agent = staff("agent")
    red_ticket(by="manager", title="before the page opened")
    first = agent.get("/live/events")
    assert first.status_code == 200 and notices(first) == []  # starts now: the inbox shows what waits already
    start = messages(first)[-1]["id"]
    one, two = red_ticket(by="manager", title="one"), red_ticket(by="manager", title="two")
    resumed = agent.get("/live/events", headers={"Last-Event-ID": start})
    assert notices(resumed) == [one.number, two.number]
    after_one = next(m["id"] for m in messages(resumed) if m["event"] == "message")
    assert notices(agent.get("/live/events", headers={"Last-Event-ID": after_one})) == [two.number]
    assert notices(agent.get(f"/live/events?after={after_one}")) == [two.number]  # a page's own reconnect


def test_a_notice_carries_the_task_and_its_ticket(api):
    start = messages(api("get", "/events", "agent"))[-1]["id"]
    ticket = red_ticket(by="manager")
    [notice] = [m for m in messages(api("get", "/events", "agent", headers={"Last-Event-ID": start}))
                if m["event"] == "message"]
    assert notice["id"] == notice["data"]["id"]
    assert notice["data"]["kind"] == "queued" and notice["data"]["task"]["name"] == "Accept the fault"
    assert notice["data"]["ticket"] == {"id": ticket.id, "number": ticket.number, "title": ticket.title,
                                        "channel": "red"}


def test_a_user_of_another_branch_gets_nothing(api):
    start = messages(api("get", "/events", "minhang"))[-1]["id"]
    red_ticket(by="manager", customer_code="G0001")  # Pudong's customer
    response = api("get", "/events", "minhang", headers={"Last-Event-ID": start})
    assert notices(response) == [] and messages(response)[-1]["id"] != start  # moved past it, told nothing


def test_a_wrong_last_event_id_is_refused_naming_it(api):
    response = api("get", "/events", "agent", headers={"Last-Event-ID": "yesterday"})
    assert response.status_code == 422
    error = response.json["error"]
    assert "Last-Event-ID" in error["message"] and "Last-Event-ID" in error["message_zh"]


def test_a_worker_serves_at_most_its_cap_of_streams_and_asks_the_rest_to_come_back(app, api):
    app.config["LIVE_STREAMS"] = 1
    held = api("get", "/events", "agent")  # not read to the end yet: it holds its slot
    refused = api("get", "/events", "tech")
    assert refused.status_code == 503 and refused.json["error"]["code"] == "busy"
    assert 5 <= int(refused.headers["Retry-After"]) <= 15 and refused.json["error"]["message_zh"]
    held.close()  # the stream ended: its slot is free again
    assert api("get", "/events", "tech").status_code == 200


def test_a_stream_that_ended_frees_its_slot(app, api):
    app.config["LIVE_STREAMS"] = 2
    assert [api("get", "/events", "agent").status_code for _ in range(5)] == [200] * 5  # each read to its end


def test_a_worker_lets_streams_hold_half_its_threads_and_never_its_only_one():
    assert [production.live_streams_for(threads) for threads in (1, 2, 4, 32)] == [0, 1, 2, 16]


def test_a_page_stream_with_a_wrong_position_is_refused_naming_it(staff):
    response = staff("agent").get("/live/events?after=0-x")
    assert response.status_code == 422
    assert "after" in response.get_data(as_text=True) and "事件编号" in response.get_data(as_text=True)
