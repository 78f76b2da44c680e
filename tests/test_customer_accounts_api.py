"""Opening customers over the API (SQLite and PostgreSQL), the locked state, and moving a manager's portfolio with
their open tasks."""

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.directory import users
from engine.models import Contact, Customer, CustomerChange
from tests.bpmn_samples import simple
from tests.test_api import start

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
XML = {"Content-Type": "application/xml"}
DEPLOY = "/process-models?comment=a+lane+for+a+new+department"
NEW = {"code": "G0100", "name": "Pudong Shipyard", "kind": "group", "tier": "A", "industry": "shipbuilding",
       "phone": "+862158880000", "branch": "SH-PD", "account_manager": "pudong", "credit_level": "red",
       "contacts": [{"name": "Xu Ming", "role": "CIO", "phone": "+8613900001111"}], "reason": "new contract"}


def counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in (Customer, Contact, CustomerChange))


def refused(response, field: str) -> dict:
    assert response.status_code == 422, response.json
    problem, = [p for p in response.json["error"]["details"] if p["field"] == field]
    assert problem["message"] and problem["message_zh"]
    return problem


def test_staff_open_a_customer_in_their_branch_with_its_contacts_and_history(api):
    created = api("post", "/customers", "pudong", json=NEW)
    assert created.status_code == 201, created.json
    record = created.json
    assert (record["code"], record["branch"]["code"], record["account_manager"], record["status"]) == (
        "G0100", "SH-PD", "pudong", "active")
    assert [c["name"] for c in record["contacts"]] == ["Xu Ming"]
    history = api("get", f"/customers/{record['id']}/history", "pudong").json["history"]
    assert {(h["field"], h["new"], h["reason"]) for h in history} == {
        ("status", "active", "new contract"), ("contact", "Xu Ming", "new contract")}
    assert api("get", f"/customers/{record['id']}", "minhang").status_code == 404  # another city's customer


@pytest.mark.parametrize("username, change, field", [
    ("pudong", {"code": "G0001"}, "code"),
    ("pudong", {"branch": "SH-MH"}, "branch"),  # a branch the caller does not see
    ("pudong", {"branch": "NOWHERE"}, "branch"),
    ("admin", {"branch": "SH-MH"}, "account_manager"),  # pudong does not see Minhang
    ("pudong", {"account_manager": "tech"}, "account_manager"),  # not a manager
    ("pudong", {"account_manager": "ghost"}, "account_manager"),
    ("pudong", {"kind": "company"}, "kind"),
    ("pudong", {"tier": None}, "tier"),
    ("pudong", {"reason": ""}, "reason"),
    ("pudong", {"contacts": [{"role": "no name"}]}, "contacts[0].name"),
])
def test_a_wrong_customer_is_refused_naming_the_field(api, username, change, field):
    before = counts()
    refused(api("post", "/customers", username, json={**NEW, **change}), field)
    assert counts() == before


def test_opening_customers_needs_the_right(api):
    before = counts()
    assert api("post", "/customers", "tech", json=NEW).status_code == 403
    assert counts() == before


def test_a_locked_customer_shows_it_and_still_gets_tickets(api):
    locked = api("patch", "/customers/1", "manager", json={"status": "locked", "reason": "unpaid bills"})
    assert locked.json["status"] == "locked"
    assert start(api, customer_id=1).status_code == 201


def manager_task(api, customer_id: int) -> dict:
    """A ticket of the customer whose task the demo account manager has claimed."""
    diagram = simple(key="manager_call", role="manager")
    assert api("post", DEPLOY, "supervisor", data=diagram, headers=XML).status_code == 201
    ticket = api("post", "/tickets", "manager", json={"process": "manager_call", "title": "Call back",
                                                      "customer_id": customer_id}).json
    task = ticket["tasks"][0]
    assert api("post", f"/tasks/{task['id']}/claim", "manager").status_code == 200
    return {"ticket": ticket, "task": task}


def test_a_portfolio_moves_to_another_manager_with_its_open_tasks(api):
    held = manager_task(api, 1)  # G0001, a Pudong customer
    moved = api("post", "/customers/portfolio-moves", "supervisor", json={
        "from": "manager", "to": "pudong", "customers": ["G0001", "G0003"], "reason": "Wang Wei left"})
    assert moved.status_code == 200, moved.json
    assert moved.json == {"customers": ["G0001", "G0003"], "tasks": 1}
    assert api("get", f"/tasks/{held['task']['id']}", "pudong").json["assignee"] == "pudong"
    last = api("get", f"/tickets/{held['ticket']['id']}", "pudong").json["history"][-1]
    assert (last["kind"], last["data"]["previous"], last["data"]["assignee"]) == ("reassigned", "manager", "pudong")
    change = api("get", "/customers/1/history", "pudong").json["history"][-1]
    assert (change["field"], change["reason"]) == ("account_manager_id", "Wang Wei left")


@pytest.mark.parametrize("body, field", [
    ({"from": "manager", "to": "pudong", "customers": ["G0001", "G0004"]}, "customers"),  # pudong cannot see G0004
    ({"from": "pudong", "to": "manager", "customers": ["G0001"]}, "customers"),  # not pudong's customer
    ({"from": "manager", "to": "tech", "customers": ["G0001"]}, "to"),
    ({"from": "manager", "to": "pudong", "customers": ["G9999"]}, "customers"),
    ({"from": "manager", "to": "pudong", "customers": []}, "customers"),
])
def test_a_wrong_portfolio_move_moves_nothing(api, body, field):
    held = manager_task(api, 1)
    before = counts()
    refused(api("post", "/customers/portfolio-moves", "supervisor", json={**body, "reason": "leaving"}), field)
    assert counts() == before
    assert api("get", f"/tasks/{held['task']['id']}", "manager").json["assignee"] == "manager"
    assert db.session.get(Customer, 1).account_manager.username == "manager"


def test_a_portfolio_move_needs_a_supervisor(api):
    response = api("post", "/customers/portfolio-moves", "manager", json={
        "from": "manager", "to": "pudong", "customers": ["G0001"], "reason": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("customer_id, manager", [(1, "tech"), (4, "pudong")])  # not a manager; G0004 is in Minhang
def test_a_changed_account_manager_must_be_a_manager_who_sees_the_branch(api, customer_id, manager):
    before = counts()
    manager_id = users.by_username(manager).id
    refused(api("patch", f"/customers/{customer_id}", "admin", json={"account_manager_id": manager_id,
                                                                     "reason": "new manager"}), "account_manager_id")
    assert counts() == before
    assert db.session.get(Customer, customer_id).account_manager.username == "manager"


def test_a_customer_cannot_move_to_a_deactivated_branch(api):
    api("post", "/branches", "admin", json={"code": "SH-JD", "name": "Jiading", "parent": "SH"})
    jiading = api("patch", "/branches/SH-JD", "admin", json={"active": False}).json
    refused(api("patch", "/customers/2", "admin", json={"branch_id": jiading["id"], "reason": "moved"}), "branch_id")
    refused(api("post", "/customers", "admin", json={**NEW, "branch": "SH-JD", "account_manager": None}), "branch")
    assert db.session.get(Customer, 2).branch.code == "SH"
