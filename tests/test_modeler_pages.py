"""The modeller page's server side: supervisors only, CSRF on every change, answers in the user's language."""

import html
import json
import re

import pytest

from engine import deployments, tickets
from engine.directory import users
from tests.bpmn_samples import simple


def post_json(client, url: str, body: dict, token: bool = True):
    """What the page's script sends: JSON with the session's CSRF token in a header."""
    headers = {"X-CSRFToken": client.csrf_token} if token else {}
    return client.client.post(url, json=body, headers=headers)


def page_config(response) -> dict:
    raw = re.search(r'data-config="([^"]+)"', response.get_data(as_text=True)).group(1)
    return json.loads(html.unescape(raw))


@pytest.mark.parametrize("username", ["agent", "manager", "tech"])
def test_only_supervisors_and_admins_open_the_modeller(staff, username):
    client = staff(username)
    assert client.get("/modeler").status_code == 403
    assert client.get("/modeler/models").status_code == 403
    assert post_json(client, "/modeler/validate", {"xml": simple().decode()}).status_code == 403
    assert 'data-testid="modeler-link"' not in client.get("/inbox").get_data(as_text=True)


def test_the_page_offers_roles_forms_calendars_and_operations(staff):
    client = staff("supervisor")
    response = client.get("/modeler")
    assert response.status_code == 200
    config = page_config(response)
    assert {"agent", "manager", "tech", "supervisor", "admin"} <= {r["value"] for r in config["roles"]}
    assert "24x7" in config["calendars"] and "office" in config["calendars"]
    operations = {o["value"]: o["parameters"] for o in config["operations"]}
    assert operations["notify_role"] == ["role", "subject", "body", "event"]
    assert operations["member_review.candidates"] == []
    assert config["forms"] and all(f["value"] in f["label"] for f in config["forms"])
    assert 'data-testid="modeler-link"' in client.get("/inbox").get_data(as_text=True)


def test_validate_answers_in_both_languages_and_deploy_needs_the_csrf_token(staff):
    client = staff("supervisor")
    bad = simple(role="Helpdesk").decode()
    problems = post_json(client, "/modeler/validate", {"xml": bad}).json["problems"]
    assert [(p["element_id"], p["code"]) for p in problems] == [("lane_1", "lane_role")]
    assert "泳道" in problems[0]["message_zh"] and problems[0]["hint"]

    good = simple().decode()
    assert post_json(client, "/modeler/deploy", {"xml": good, "comment": "x"}, token=False).status_code == 400
    refused = post_json(client, "/modeler/deploy", {"xml": bad})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["element_id"] == "lane_1"
    deployed = post_json(client, "/modeler/deploy", {"xml": good, "comment": "first"})
    assert deployed.status_code == 201
    assert deployments.latest_version("simple").comment == "first"
    opened = client.get("/modeler/models/simple/versions/1").json
    assert opened["xml"].encode() == simple()


def test_the_page_speaks_chinese_to_a_chinese_user(staff):
    client = staff("supervisor")
    client.post("/language", data={"locale": "zh_CN", "next": "/modeler"})
    body = client.get("/modeler").get_data(as_text=True)
    assert "流程建模" in body and "校验" in body and "部署" in body


def test_tickets_move_through_the_page_and_their_history_says_so(staff):
    client = staff("supervisor")
    deployments.deploy(users.by_username("supervisor"), simple(), comment="first")
    ticket = tickets.start_ticket(users.by_username("agent"), "simple", "printer jam")
    deployments.deploy(users.by_username("supervisor"), simple(role="manager"), comment="managers do it")
    check = post_json(client, "/modeler/models/simple/versions/1/migration/check", {"to": 2}).json
    assert [t["id"] for t in check["movable"]] == [ticket.id]
    moved = post_json(client, "/modeler/models/simple/versions/1/migration/run", {"to": 2}).json
    assert [t["id"] for t in moved["migrated"]] == [ticket.id]
    assert "moved to another version" in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert post_json(client, "/modeler/models/simple/versions/1/migration/run", {}).status_code == 422
