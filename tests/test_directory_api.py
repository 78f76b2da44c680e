"""Administration over the API on SQLite and PostgreSQL: roles, branches and users, each refusal naming its field and
changing nothing."""

import pytest
from openapi_spec_validator import validate as validate_openapi
from sqlalchemy import func, select

from engine.db import db
from engine.directory import users
from engine.models import Branch, DirectoryChange, Role, User
from tests.bpmn_samples import simple
from tests.test_api import start

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
XML = {"Content-Type": "application/xml"}
DEPLOY = "/process-models?comment=a+lane+for+a+new+department"
NEW_USER = {"username": "wang.li", "display_name": "Wang Li", "email": "wang.li@keydesk.example",
            "phone": "+8613800000099", "branch": "SH-PD", "roles": ["agent"], "locale": "zh_CN"}


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(table))
                 for table in (Branch, Role, User, DirectoryChange))


def refused(response, field: str) -> dict:
    """A 422 whose details name ``field`` in English and Chinese."""
    assert response.status_code == 422, response.json
    problem, = [p for p in response.json["error"]["details"] if p["field"] == field]
    assert problem["message"] and problem["message_zh"]
    return problem


@pytest.mark.parametrize("method, path", [
    ("post", "/roles"), ("patch", "/roles/agent"), ("get", "/roles"), ("post", "/branches"),
    ("patch", "/branches/SH"), ("get", "/users"), ("post", "/users"), ("patch", "/users/agent"),
    ("post", "/users/agent/password"), ("post", "/users/agent/tokens/revoke"), ("get", "/directory/changes"),
])
def test_administration_is_for_admins_only(api, method, path):
    before = counts()
    response = api(method, path, "supervisor", json={"name": "x", "active": False})
    assert response.status_code == 403
    assert counts() == before


def test_every_administration_route_is_in_the_openapi_document(api):
    spec = api("get", "/openapi.json").json
    validate_openapi(spec)
    paths = spec["paths"]
    for path, method in (("/roles", "post"), ("/roles/{key}", "patch"), ("/branches", "post"),
                         ("/branches/{code}", "patch"), ("/users", "post"), ("/users/{username}", "patch"),
                         ("/users/{username}/password", "post"), ("/users/{username}/tokens/revoke", "post"),
                         ("/directory/changes", "get")):
        assert method in paths[path], path


# Roles

def test_the_seed_roles_are_in_the_table(api):
    keys = {r["key"] for r in api("get", "/roles", "admin").json["roles"]}
    assert {"agent", "manager", "tech", "supervisor", "admin", "billing", "hq"} <= keys


def test_a_lane_for_a_new_department_deploys_once_an_admin_added_the_role(api):
    diagram = simple(key="invoice_check", role="finance")
    before = api("post", DEPLOY, "supervisor", data=diagram, headers=XML)
    assert before.status_code == 422
    assert "finance" in before.json["error"]["details"][0]["message"]
    added = api("post", "/roles", "admin", json={"key": "finance", "name": "finance", "name_zh": "财务"})
    assert added.status_code == 201 and added.json == {"key": "finance", "name": "finance", "name_zh": "财务",
                                                       "active": True}
    assert api("post", DEPLOY, "supervisor", data=diagram, headers=XML).status_code == 201


@pytest.mark.parametrize("body, field", [
    ({"key": "agent", "name": "again", "name_zh": "重复"}, "key"),
    ({"key": "Finance!", "name": "finance", "name_zh": "财务"}, "key"),
    ({"key": "finance", "name_zh": "财务"}, "name"),
    ({"key": "finance", "name": "finance", "name_zh": ""}, "name_zh"),
    ({"key": "finance", "name": "finance", "name_zh": "财务", "colour": "red"}, "colour"),
])
def test_a_wrong_role_is_refused_naming_the_field(api, body, field):
    before = counts()
    refused(api("post", "/roles", "admin", json=body), field)
    assert counts() == before


def test_a_role_is_renamed_with_an_audit_line(api):
    renamed = api("patch", "/roles/billing", "admin", json={"name": "billing and collections"})
    assert renamed.json["name"] == "billing and collections"
    change, = api("get", "/directory/changes?kind=role&subject=billing", "admin").json["changes"]
    assert (change["actor"], change["field"], change["old"], change["new"]) == (
        "admin", "name", "billing", "billing and collections")


def test_a_role_a_process_in_use_has_a_lane_for_cannot_be_retired(api):
    before = counts()
    problem = refused(api("patch", "/roles/tech", "admin", json={"active": False}), "active")
    assert "red_fault" in problem["message"] and "red_fault" in problem["message_zh"]
    assert counts() == before and db.session.get(Role, "tech").active


def test_a_retired_role_can_no_longer_be_given_or_drawn(api):
    api("post", "/roles", "admin", json={"key": "finance", "name": "finance", "name_zh": "财务"})
    assert api("patch", "/roles/finance", "admin", json={"active": False}).json["active"] is False
    refused(api("post", "/users", "admin", json={**NEW_USER, "roles": ["finance"]}), "roles")
    diagram = simple(key="invoice_check", role="finance")
    assert api("post", DEPLOY, "supervisor", data=diagram, headers=XML).status_code == 422


# Branches

def test_an_admin_creates_renames_and_moves_branches(api):
    province = api("post", "/branches", "admin", json={"code": "SZ", "name": "Suzhou Branch", "parent": "HQ"})
    assert province.status_code == 201 and province.json["level"] == "province"
    city = api("post", "/branches", "admin", json={"code": "SZ-GY", "name": "Gongye Yuan", "parent": "SH"})
    assert city.json["level"] == "city" and city.json["parent"] == "SH"
    moved = api("patch", "/branches/SZ-GY", "admin", json={"parent": "SZ", "name": "Suzhou Industrial Park"})
    assert (moved.json["parent"], moved.json["name"]) == ("SZ", "Suzhou Industrial Park")
    audit = api("get", "/directory/changes?kind=branch&subject=SZ-GY", "admin").json["changes"]
    assert {(c["field"], c["old"], c["new"]) for c in audit} >= {
        ("parent", "SH", "SZ"), ("name", "Gongye Yuan", "Suzhou Industrial Park")}


@pytest.mark.parametrize("body, field", [
    ({"code": "SH", "name": "Shanghai again", "parent": "HQ"}, "code"),
    ({"code": "NJ", "name": "Nanjing", "parent": "NOWHERE"}, "parent"),
    ({"code": "NJ", "name": "", "parent": "HQ"}, "name"),
    ({"code": "NJ-X", "name": "Below a city", "parent": "SH-PD"}, "parent"),
])
def test_a_wrong_branch_is_refused_naming_the_field(api, body, field):
    before = counts()
    refused(api("post", "/branches", "admin", json=body), field)
    assert counts() == before


@pytest.mark.parametrize("code, parent", [("SH", "SH-PD"), ("SH-PD", "HQ"), ("SH-PD", "SH-MH")])
def test_a_move_that_breaks_the_three_levels_is_refused(api, code, parent):
    before = counts()
    refused(api("patch", f"/branches/{code}", "admin", json={"parent": parent}), "parent")
    assert counts() == before
    assert api("get", "/branches", "admin").json["branches"][0]["code"] == "HQ"


def test_a_branch_with_people_or_open_tickets_is_not_deactivated(api):
    ticket = start(api, "pudong", customer_id=1).json  # G0001, a Pudong customer
    problem = refused(api("patch", "/branches/SH-PD", "admin", json={"active": False}), "active")
    assert "pudong" in problem["message"] and ticket["number"] in problem["message"]
    assert "pudong" in problem["message_zh"]
    assert db.session.scalar(select(Branch).where(Branch.code == "SH-PD")).active


def test_an_empty_branch_is_deactivated_and_takes_no_one_new(api):
    api("post", "/branches", "admin", json={"code": "SH-JD", "name": "Jiading", "parent": "SH"})
    done = api("patch", "/branches/SH-JD", "admin", json={"active": False})
    assert done.status_code == 200 and done.json["active"] is False
    before = counts()
    refused(api("post", "/users", "admin", json={**NEW_USER, "branch": "SH-JD"}), "branch")
    assert counts() == before


# Users

def test_a_new_user_gets_a_one_time_password_and_no_working_token_until_it_is_changed(api, client):
    created = api("post", "/users", "admin", json=NEW_USER)
    assert created.status_code == 201
    body = created.json
    assert {k: body[k] for k in NEW_USER} == NEW_USER and body["must_change_password"] is True
    user = db.session.scalar(select(User).where(User.username == "wang.li"))
    token = users.issue_token(user)
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    users.set_password(user, "Harbour2026x")
    db.session.commit()
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert users.authenticate("wang.li", body["one_time_password"]) is None


@pytest.mark.parametrize("change, field", [
    ({"username": "agent"}, "username"),
    ({"username": "no spaces allowed"}, "username"),
    ({"roles": ["agent", "astronaut"]}, "roles"),
    ({"branch": "ATLANTIS"}, "branch"),
    ({"email": "not-an-address"}, "email"),
    ({"locale": "fr"}, "locale"),
    ({"display_name": ""}, "display_name"),
])
def test_a_wrong_user_is_refused_naming_the_field(api, change, field):
    before = counts()
    refused(api("post", "/users", "admin", json={**NEW_USER, **change}), field)
    assert counts() == before


def test_a_change_to_a_user_is_audited_with_old_and_new_values(api):
    api("patch", "/users/minhang", "admin", json={"roles": ["agent", "manager"], "branch": "SH"})
    audit = api("get", "/directory/changes?kind=user&subject=minhang", "admin").json["changes"]
    assert {(c["actor"], c["field"], c["old"], c["new"]) for c in audit} == {
        ("admin", "roles", "agent", "agent, manager"), ("admin", "branch", "SH-MH", "SH")}
    assert api("get", "/users", "admin").json["users"]


def test_a_deactivated_user_loses_their_tasks_their_sign_in_and_their_tokens(api, client):
    ticket = start(api).json
    task_id = ticket["tasks"][0]["id"]
    api("post", f"/tasks/{task_id}/claim", "agent")
    assert api("post", "/users/agent/password", "admin").status_code == 200
    agent = users.by_username("agent")
    users.set_password(agent, "Another2026pass")
    db.session.commit()
    live = users.issue_token(agent)
    assert api("patch", "/users/agent", "admin", json={"active": False}).json["active"] is False
    task = api("get", f"/tasks/{task_id}", "supervisor").json
    assert (task["state"], task["assignee"]) == ("open", None)
    history = api("get", f"/tickets/{ticket['id']}", "supervisor").json["history"]
    assert history[-1]["kind"] == "unclaimed" and history[-1]["data"]["previous"] == "agent"
    assert client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {live}"}).status_code == 401
    assert users.authenticate("agent", "Another2026pass") is None


def test_an_admin_revokes_a_users_tokens(api, client):
    assert api("get", "/tasks", "tech").status_code == 200
    assert api("post", "/users/tech/tokens/revoke", "admin").json == {"revoked": 1}
    assert api("get", "/tasks", "tech").status_code == 401


def test_an_admin_cannot_deactivate_themself(api):
    refused(api("patch", "/users/admin", "admin", json={"active": False}), "active")
    assert users.by_username("admin").active


def test_a_second_headquarters_is_refused_in_both_languages(api):
    """The organisation has one root: a branch without a parent would split the tree (and escape headquarters)."""
    before = counts()
    problem = refused(api("post", "/branches", "admin", json={"code": "HQ2", "name": "Second HQ"}), "parent")
    assert "one headquarters already (HQ)" in problem["message"] and "HQ" in problem["message_zh"]
    assert counts() == before
