"""Every JSON error from /api/v1 carries ``message`` and a Chinese ``message_zh`` (house rule; issue 18): the test
walks every route of the URL map and provokes what each can refuse — no token (401), a method it does not take
(405), an unknown id (404), a body that is not JSON (400/422), a reader without the role (403) — and a conflict."""

import re

import pytest

from engine import tickets
from engine.db import db
from engine.directory import users
from tests.web_data import colleague, open_task, red_ticket

HAN = re.compile(r"[\u4e00-\u9fff]")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNKNOWN = {"int": "987654", "string": "no_such_key", "default": "no_such_key", "path": "no_such_key"}


def routes(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
            and rule.endpoint != "api.openapi"]


def path_of(rule) -> str:
    """The rule with each variable an id or key that does not exist."""
    path = rule.rule.removeprefix("/api/v1")
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: UNKNOWN.get(m[1] or "default", "no_such_key"), path)


def assert_bilingual(response, where: str) -> dict:
    assert response.is_json, f"{where}: {response.status_code} is not JSON"
    body = response.json["error"]
    assert body["message"] and HAN.search(body.get("message_zh") or ""), f"{where}: {body}"
    return body


def walk(app, api, username: str | None, provoke) -> dict[int, int]:
    """Provoke each route in turn, check every error it answers with; count the statuses seen."""
    seen: dict[int, int] = {}
    for rule in routes(app):
        for method, kwargs in provoke(rule):
            response = api(method, path_of(rule), username, **kwargs)
            if response.status_code >= 400:
                assert_bilingual(response, f"{method} {rule.rule}")
                seen[response.status_code] = seen.get(response.status_code, 0) + 1
            db.session.rollback()
    return seen


def test_every_route_answers_401_without_a_token_in_both_languages(app, api):
    seen = walk(app, api, None, lambda rule: [(m, {}) for m in sorted(rule.methods & set(METHODS))])
    assert set(seen) == {401}


def test_every_route_answers_405_to_a_method_it_does_not_take_in_both_languages(app, api):
    seen = walk(app, api, "admin", lambda rule: [(m, {}) for m in METHODS if m not in rule.methods][:1])
    assert 405 in seen


def test_an_unknown_id_and_a_body_that_is_not_json_are_refused_in_both_languages(app, api):
    def provoke(rule):
        for method in sorted(rule.methods & set(METHODS)):
            sent = {} if method == "GET" else {"data": "{not json", "content_type": "application/json"}
            yield method, sent
    seen = walk(app, api, "admin", provoke)
    assert {404, 422} <= set(seen)


def test_a_reader_without_the_role_is_refused_in_both_languages(app, api):
    seen = walk(app, api, "agent", lambda rule: [(m, {}) for m in sorted(rule.methods & {"GET"})])
    assert 403 in seen


@pytest.mark.parametrize("path", ["/nowhere", "/tickets/abc/nothing"])
def test_an_unknown_address_is_a_bilingual_404(api, path):
    assert api("get", path, "agent").status_code == 404
    assert "找不到" in assert_bilingual(api("get", path, "agent"), path)["message_zh"]


def test_a_conflict_is_refused_in_both_languages(app, api):
    task = open_task(red_ticket())
    colleague()
    tickets.claim(users.by_username("agent2"), task.id)
    db.session.commit()
    refused = api("post", f"/tasks/{task.id}/claim", "agent")
    body = assert_bilingual(refused, "claim")
    assert refused.status_code == 409 and body["message_zh"] == f"任务 {task.id} 已被 agent2 认领"


def test_an_unknown_ticket_is_named_in_chinese(api):
    body = assert_bilingual(api("get", "/tickets/987654", "agent"), "ticket")
    assert body["message"] == "no ticket 987654" and body["message_zh"] == "没有工单 987654"
