"""The modeller page's server side: supervisors only, CSRF on every change, answers in the user's language."""

import html
import json
import re

import pytest
from flask import g
from flask.testing import FlaskClient

from engine import deployments
from tests.bpmn_samples import simple


class PageClient(FlaskClient):
    """Each request starts with an empty flask.g, as in a real server (the test's app context is shared)."""

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        return super().open(*args, **kwargs)


def csrf_of(response) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True)).group(1)


@pytest.fixture
def staff(app):
    """staff("supervisor"): a client signed in through the login form, with its session's CSRF token."""
    app.test_client_class = PageClient

    def sign_in(username: str):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": "demo",
                                               "csrf_token": csrf_of(client.get("/login"))})
        assert response.status_code == 302
        client.csrf_token = csrf_of(client.get("/profile"))
        return client

    return sign_in


def page_config(response) -> dict:
    raw = re.search(r'data-config="([^"]+)"', response.get_data(as_text=True)).group(1)
    return json.loads(html.unescape(raw))


@pytest.mark.parametrize("username", ["agent", "manager", "tech"])
def test_only_supervisors_and_admins_open_the_modeller(staff, username):
    client = staff(username)
    assert client.get("/modeler").status_code == 403
    assert client.get("/modeler/models").status_code == 403
    assert client.post("/modeler/validate", json={"xml": simple().decode()},
                       headers={"X-CSRFToken": client.csrf_token}).status_code == 403
    assert 'data-testid="modeler-link"' not in client.get("/inbox").get_data(as_text=True)


def test_the_page_offers_roles_forms_calendars_and_operations(staff):
    client = staff("supervisor")
    response = client.get("/modeler")
    assert response.status_code == 200
    config = page_config(response)
    assert [r["value"] for r in config["roles"]] == ["agent", "manager", "tech", "supervisor", "admin"]
    assert "24x7" in config["calendars"] and "office" in config["calendars"]
    assert {o["value"]: o["parameters"] for o in config["operations"]}["notify_role"] == ["role", "subject", "body"]
    assert config["forms"] and all(f["value"] in f["label"] for f in config["forms"])
    assert 'data-testid="modeler-link"' in client.get("/inbox").get_data(as_text=True)


def test_validate_answers_in_both_languages_and_deploy_needs_the_csrf_token(staff):
    client = staff("supervisor")
    headers = {"X-CSRFToken": client.csrf_token}
    bad = simple(role="Helpdesk").decode()
    problems = client.post("/modeler/validate", json={"xml": bad}, headers=headers).json["problems"]
    assert [(p["element_id"], p["code"]) for p in problems] == [("lane_1", "lane_role")]
    assert "泳道" in problems[0]["message_zh"] and problems[0]["hint"]

    good = simple().decode()
    assert client.post("/modeler/deploy", json={"xml": good, "comment": "x"}).status_code == 400  # no token
    refused = client.post("/modeler/deploy", json={"xml": bad}, headers=headers)
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["element_id"] == "lane_1"
    deployed = client.post("/modeler/deploy", json={"xml": good, "comment": "first"}, headers=headers)
    assert deployed.status_code == 201
    assert deployments.latest_version("simple").comment == "first"
    opened = client.get("/modeler/models/simple/versions/1").json
    assert opened["xml"].encode() == simple()


def test_the_page_speaks_chinese_to_a_chinese_user(staff):
    client = staff("supervisor")
    client.post("/language", data={"locale": "zh_CN", "next": "/modeler", "csrf_token": client.csrf_token})
    body = client.get("/modeler").get_data(as_text=True)
    assert "流程建模" in body and "校验" in body and "部署" in body
