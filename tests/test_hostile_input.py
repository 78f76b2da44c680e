"""Hostile input gets a 4xx and changes nothing, never a 500: ids beyond the id columns in paths and bodies, NUL
characters in text, bodies over the size limit."""

import pytest
from sqlalchemy import func, select

from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import Ticket
from tests.web_data import red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)
TOO_LARGE = [2**31, 2**63, 2**70]
REPORT = {"service": "leased_line", "description": "Link down"}


@BOTH
@pytest.mark.parametrize("number", TOO_LARGE)
@pytest.mark.parametrize("path", ["/tickets/{n}", "/tasks/{n}", "/customers/{n}", "/tasks/{n}/claim",
                                  "/tickets/{n}/comments"])
def test_an_id_beyond_the_id_columns_in_an_api_path_is_not_found(api, path, number):
    method = "post" if path.endswith(("claim", "comments")) else "get"
    response = api(method, path.format(n=number), "admin", json={"body": "x"})
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


@BOTH
@pytest.mark.parametrize("path", ["/tickets/{n}", "/tickets/{n}/diagram", "/tasks/{n}", "/customers/{n}"])
def test_an_id_beyond_the_id_columns_in_a_page_path_is_not_found(staff, path):
    assert staff("admin").get(path.format(n=2**31)).status_code == 404


@BOTH
@pytest.mark.parametrize("body, field", [
    ({"customer_id": 2**31}, "customer_id"),
    ({"customer_id": -(2**63)}, "customer_id"),
    ({"title": "Line\x00down"}, "title"),
    ({"data": {**REPORT, "description": "no\x00light"}}, "data.description"),
])
def test_a_body_field_no_database_takes_is_named_and_nothing_starts(api, body, field):
    response = api("post", "/tickets", "agent", json={"process": "red_fault", "title": "Line down", "data": REPORT,
                                                      **body})
    assert response.status_code == 422 and field in [d["field"] for d in response.json["error"]["details"]]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@BOTH
def test_a_comment_with_a_nul_character_is_refused(api):
    ticket = red_ticket()
    response = api("post", f"/tickets/{ticket.id}/comments", "agent", json={"body": "called\x00back"})
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"] == "body"


def test_a_body_over_16_mb_is_a_json_413(api):
    body = b'{"title": "' + b"x" * (16 * 1024 * 1024) + b'"}'
    response = api("post", "/tickets", "agent", data=body, content_type="application/json")
    assert response.status_code == 413 and response.json["error"]["code"] == "request_entity_too_large"


@BOTH
@pytest.mark.parametrize("form, field", [
    ({"process": "red_fault", "title": "Line\x00down", "service": "internet", "description": "down"}, "title"),
    ({"process": "red_fault", "title": "Line down", "service": "internet", "description": "no\x00light"},
     "description"),
])
def test_a_page_form_with_a_nul_character_is_refused_naming_the_field_and_starts_nothing(staff, form, field):
    response = staff("agent").post("/tickets/new/red", data=form)
    assert response.status_code == 422
    assert f"The field {field} contains a NUL character" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@BOTH
def test_a_page_comment_with_a_nul_character_is_refused_in_the_readers_language_and_adds_nothing(staff):
    ticket = red_ticket()
    lines = len(tickets.history(ticket))
    agent = staff("agent")
    response = agent.post(f"/tickets/{ticket.id}/comments", data={"body": "called\x00back"})
    assert response.status_code == 422 and "The field body contains a NUL character" in response.get_data(as_text=True)
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    refused = agent.post(f"/tickets/{ticket.id}/comments", data={"body": "called\x00back"})
    assert refused.status_code == 422 and "字段 body 含有 NUL 字符" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert len(tickets.history(ticket)) == lines


@BOTH
@pytest.mark.parametrize("path, field", [("/customers?q=a%00b", "q"), ("/tasks?role=a%00b", "role"),
                                         ("/directory/changes?subject=a%00b", "subject")])
def test_an_api_query_parameter_with_a_nul_character_is_a_422_naming_it(api, path, field):
    response = api("get", path, "admin")
    assert response.status_code == 422
    assert response.json["error"]["details"] == [{"field": field, "message": "contains a NUL character",
                                                  "message_zh": "含有 NUL 字符"}]
