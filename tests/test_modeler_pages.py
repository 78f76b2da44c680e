"""The modeller page's server side: supervisors only, CSRF on every change, answers in the user's language."""

import html
import json
import re

import pytest

from engine import deployments, problem_text, tickets
from engine.db import db
from engine.directory import users
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from tests.test_bundles import WORK_FORM, bundle


def post_json(client, url: str, body: dict, token: bool = True):
    """What the page's script sends: JSON with the session's CSRF token in a header."""
    headers = {"X-CSRFToken": client.csrf_token} if token else {}
    return client.client.post(url, json=body, headers=headers)


def post_bundle(client, url: str, token: bool = True, **kwargs):
    """What the page's script sends for validate and deploy: the bundle as multipart, as the API takes it."""
    headers = {"X-CSRFToken": client.csrf_token} if token else {}
    return client.client.post(url, data=bundle(**kwargs), headers=headers, content_type="multipart/form-data")


def page_config(response) -> dict:
    raw = re.search(r'data-config="([^"]+)"', response.get_data(as_text=True)).group(1)
    return json.loads(html.unescape(raw))


@pytest.mark.parametrize("username", ["agent", "manager", "tech"])
def test_only_supervisors_and_admins_open_the_modeller(staff, username):
    client = staff(username)
    assert client.get("/modeler").status_code == 403
    assert client.get("/modeler/models").status_code == 403
    assert post_bundle(client, "/modeler/validate").status_code == 403
    assert post_json(client, "/modeler/form-preview", {"schema": WORK_FORM}).status_code == 403
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
    bad = simple(role="Helpdesk")
    problems = post_bundle(client, "/modeler/validate", diagram=bad, forms={}).json["problems"]
    assert [(p["element_id"], p["code"]) for p in problems] == [("lane_1", "lane_role")]
    assert "泳道" in problems[0]["message_zh"] and problems[0]["hint"]

    good = simple()
    assert post_bundle(client, "/modeler/deploy", diagram=good, forms={}, token=False).status_code == 400
    refused = post_bundle(client, "/modeler/deploy", diagram=bad, forms={})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["element_id"] == "lane_1"
    deployed = post_bundle(client, "/modeler/deploy", diagram=good, forms={}, comment=" first ")
    assert deployed.status_code == 201
    assert deployments.latest_version("simple").comment == "first"
    opened = client.get("/modeler/models/simple/versions/1").json
    assert opened["xml"].encode() == simple()


def test_the_page_deploys_a_whole_bundle_and_opens_it_again(staff):
    client = staff("supervisor")
    deployed = post_bundle(client, "/modeler/deploy", comment="with its form")  # line_check and its form
    assert deployed.status_code == 201, deployed.json
    opened = client.get("/modeler/models/line_check/versions/1").json
    assert opened["forms"] == {"line_check.work": WORK_FORM} and opened["dmn"] == []

    red = post_bundle(client, "/modeler/deploy", diagram=RED_FAULT, dmn=[RED_FAULT_DMN], forms={})
    assert red.status_code == 201, red.json
    key = red.json["deployed"][0]["key"]
    assert client.get(f"/modeler/models/{key}/versions/1").json["dmn"] == [RED_FAULT_DMN.decode()]
    without_table = post_bundle(client, "/modeler/validate", diagram=RED_FAULT, forms={}).json
    assert without_table["valid"] is False  # the page must send the tables with the diagram


def test_a_badly_named_form_file_is_refused_naming_the_file(staff):
    client = staff("supervisor")
    refused = post_bundle(client, "/modeler/validate", forms={"work.json": WORK_FORM})
    assert refused.status_code == 422
    assert refused.json["error"]["details"][0]["file"] == "work.json"


def test_the_form_preview_is_the_task_page_in_both_languages(staff):
    client = staff("supervisor")
    schema = {**WORK_FORM, "properties": {**WORK_FORM["properties"], "note": {
        "type": "string", "title": "Note", "x-title-zh": "备注", "x-widget": "textarea",
        "description": "What you saw", "x-description-zh": "现场情况"}}}
    preview = post_json(client, "/modeler/form-preview", {"schema": schema}).json
    assert 'data-field="line_ok"' in preview["en"] and ">Up</option>" in preview["en"]
    assert ">正常</option>" in preview["zh"] and "检查线路" in preview["zh"] and "现场情况" in preview["zh"]
    assert preview["en"].index('data-field="line_ok"') < preview["en"].index('data-field="note"')
    assert '<textarea' in preview["en"] and 'text-danger">*' in preview["en"]  # required is marked
    empty = post_json(client, "/modeler/form-preview", {"schema": {"type": "object"}}).json
    assert "no fields" in empty["en"] and "没有字段" in empty["zh"]
    for broken in ({"schema": "x"}, {"schema": {"properties": []}}, {"schema": {"properties": {"a": 1}}}, {},
                   {"schema": {"properties": {"a": {"type": "string", "enum": 5}}}}):
        refused = post_json(client, "/modeler/form-preview", broken)
        assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "schema"


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


HAN = re.compile(r"[\u4e00-\u9fff]")
TIMER_START = simple().replace(b"<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>",
                               b"<bpmn:outgoing>f1</bpmn:outgoing><bpmn:timerEventDefinition><bpmn:timeCycle>"
                               b'"R/" + every</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>')
BROKEN = {"lane_role": simple(role="Helpdesk"), "code": simple(script="import os"),
          "unknown_form": simple(work_props={"form": "nowhere"}),
          "sla_duration": simple(work_props={"sla.response": "soon"}),
          "timer_start": TIMER_START, "not_xml": b"<bpmn:definitions"}


def test_every_problem_text_has_its_chinese_wording():
    untranslated = [code for code, (_m, _h, message_zh, hint_zh) in problem_text.TEXTS.items()
                    if not (HAN.search(message_zh) or "{detail_zh}" in message_zh) or not HAN.search(hint_zh)]
    assert untranslated == []


@pytest.mark.parametrize("kind", BROKEN)
def test_the_modeller_s_engine_problems_reach_a_chinese_supervisor_in_chinese(staff, kind):
    users.by_username("supervisor").locale = "zh_CN"
    db.session.commit()
    client = staff("supervisor")
    problems = post_bundle(client, "/modeler/validate", diagram=BROKEN[kind], forms={}).json["problems"]
    assert kind in {p["code"] for p in problems}
    assert [p for p in problems if not (HAN.search(p["message_zh"]) and HAN.search(p["hint_zh"]))] == []
    refused = post_bundle(client, "/modeler/deploy", diagram=BROKEN[kind], forms={}, comment="broken")
    assert refused.status_code == 422 and HAN.search(refused.json["error"]["message"])
