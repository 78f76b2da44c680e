"""The customer API end to end on SQLite and PostgreSQL: search, record, edits, contacts, contracts, history, view log.

Branch scoping over HTTP: a customer, ticket or task outside the caller's branches answers 404.
"""

import pytest

from tests.test_tickets import ACCEPT, REPORT

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)


def ids(api, username: str, q: str = "") -> dict[str, int]:
    response = api("get", f"/customers?q={q}", username)
    assert response.status_code == 200, response.json
    return {c["code"]: c["id"] for c in response.json["customers"]}


def test_search_by_name_code_phone_contact_phone_and_contract_number(api):
    assert list(ids(api, "agent", "bank")) == ["G0002"]  # by name, any case
    assert list(ids(api, "agent", "p000")) == ["P0003", "P0002", "P0001"]  # by code, in name order
    assert list(ids(api, "agent", "13900000007")) == ["P0003"]  # by the customer's phone
    assert list(ids(api, "agent", "13911110004")) == ["G0003"]  # by a contact's phone
    assert list(ids(api, "agent", "ht-2023-09")) == ["G0002"]  # by a contract number
    assert ids(api, "agent", "100%") == {}  # a wildcard in the query is just a character
    assert len(ids(api, "agent")) == 7


def test_search_is_scoped_to_the_callers_branches(api):
    assert set(ids(api, "pudong")) == {"G0001", "G0003", "P0002"}
    assert ids(api, "minhang", "port") == {}
    assert set(ids(api, "hq")) == set(ids(api, "supervisor"))


def test_a_record_holds_profile_contacts_and_contracts_with_expiry_and_its_reading_is_logged(api):
    port = ids(api, "agent", "G0001")["G0001"]
    record = api("get", f"/customers/{port}", "pudong").json
    assert (record["tier"], record["credit_level"], record["account_manager"], record["branch"]["code"]) == (
        "A+", "red", "manager", "SH-PD")
    assert [c["name"] for c in record["contacts"]] == ["Gao Feng", "Lin Xue"]
    assert [(c["number"], c["expiry"]) for c in record["contracts"]] == [
        ("HT-2024-0107", "expiring"), ("HT-2025-0311", "current")]
    assert record["contracts"][0]["days_left"] == 38
    views = api("get", f"/customers/{port}/views", "supervisor").json["views"]
    assert [(v["user"], v["via"], v["part"]) for v in views] == [("supervisor", "api", "views"),
                                                                  ("pudong", "api", "record")]


def test_the_view_log_is_for_supervisors_and_admins(api):
    port = ids(api, "agent", "G0001")["G0001"]
    refused = api("get", f"/customers/{port}/views", "agent")
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    assert api("get", f"/customers/{port}/views", "admin").status_code == 200


@pytest.mark.parametrize("method, path, body", [
    ("get", "", None), ("patch", "", {"tier": "C", "reason": "x"}), ("get", "/contacts", None),
    ("post", "/contacts", {"name": "Spy", "reason": "x"}), ("get", "/contracts", None), ("get", "/history", None),
    ("get", "/views", None),
])
def test_a_customer_outside_the_callers_branches_answers_404_like_a_missing_one(api, method, path, body):
    port = ids(api, "agent", "G0001")["G0001"]
    outside = api(method, f"/customers/{port}{path}", "minhang", json=body)
    missing = api(method, f"/customers/999999{path}", "minhang", json=body)
    assert (outside.status_code, missing.status_code) == (404, 404)
    assert outside.json["error"]["code"] == "not_found"
    assert api("get", f"/customers/{port}/history", "supervisor").json["history"] == []


def test_staff_edit_a_customer_with_a_reason_and_the_history_shows_it(api):
    bank = ids(api, "agent", "G0002")["G0002"]
    updated = api("patch", f"/customers/{bank}", "agent",
                  json={"credit_level": "grey", "member_card": None, "reason": "two late payments"})
    assert updated.status_code == 200, updated.json
    assert updated.json["credit_level"] == "grey"
    history = api("get", f"/customers/{bank}/history", "agent").json["history"]
    assert [(h["field"], h["old"], h["new"], h["actor"], h["reason"]) for h in history] == [
        ("credit_level", "red", "grey", "agent", "two late payments")]


@pytest.mark.parametrize("body, field", [
    ({"tier": "A"}, "reason"), ({"tier": "Z", "reason": "x"}, "tier"), ({"code": "NEW", "reason": "x"}, "code"),
    ({"reason": "nothing"}, None),
])
def test_a_wrong_edit_is_a_422_naming_the_field(api, body, field):
    bank = ids(api, "agent", "G0002")["G0002"]
    response = api("patch", f"/customers/{bank}", "agent", json=body)
    assert response.status_code == 422
    assert [d["field"] for d in response.json["error"]["details"]] == [field]
    assert api("get", f"/customers/{bank}", "agent").json["tier"] == "A"


def test_contacts_are_added_changed_and_retired_never_deleted(api):
    bank = ids(api, "agent", "G0002")["G0002"]
    added = api("post", f"/customers/{bank}/contacts", "manager",
                json={"name": "Xu Li", "role": "CIO", "email": "xu.li@huadong-bank.example", "reason": "new CIO"})
    assert added.status_code == 201, added.json
    contact = added.json["id"]
    retired = api("patch", f"/customers/{bank}/contacts/{contact}", "manager",
                  json={"active": False, "reason": "left the bank"})
    assert retired.json["active"] is False
    assert api("delete", f"/customers/{bank}/contacts/{contact}", "admin").status_code == 405
    listed = api("get", f"/customers/{bank}/contacts", "agent").json["contacts"]
    assert [(c["name"], c["active"]) for c in listed] == [("He Jun", True), ("Xu Li", False)]
    fields = [(h["field"], h["contact_id"]) for h in api("get", f"/customers/{bank}/history", "agent").json["history"]]
    assert fields == [("contact", contact), ("active", contact)]


def test_contracts_are_added_and_ended_never_deleted(api):
    bank = ids(api, "agent", "G0002")["G0002"]
    body = {"number": "HT-2026-0042", "title": "Cloud backup", "start_date": "2026-01-01",
            "end_date": "2026-06-30", "amount": "12000", "reason": "signed"}
    added = api("post", f"/customers/{bank}/contracts", "manager", json=body)
    assert added.status_code == 201, added.json
    assert (added.json["amount"], added.json["status"]) == ("12000.00", "active")
    again = api("post", f"/customers/{bank}/contracts", "manager", json=body)
    assert again.status_code == 422 and again.json["error"]["details"][0]["field"] == "number"
    ended = api("patch", f"/customers/{bank}/contracts/{added.json['id']}", "manager",
                json={"status": "ended", "reason": "replaced"})
    assert ended.json["expiry"] == "ended"
    assert api("delete", f"/customers/{bank}/contracts/{added.json['id']}", "admin").status_code == 405
    assert api("delete", f"/customers/{bank}", "admin").status_code == 405
    numbers = [c["number"] for c in api("get", f"/customers/{bank}/contracts", "agent").json["contracts"]]
    assert numbers == ["HT-2023-0902", "HT-2026-0042"]


def test_tickets_tasks_and_their_operations_are_scoped_over_http(api):
    port = ids(api, "agent", "G0001")["G0001"]
    created = api("post", "/tickets", "agent", json={"process": "red_fault", "title": "Port office down",
                                                     "customer_id": port, "data": REPORT})
    ticket = created.json
    task = ticket["tasks"][0]["id"]
    assert [t["id"] for t in api("get", f"/tickets?customer_id={port}", "pudong").json["tickets"]] == [ticket["id"]]
    assert api("get", "/tickets", "minhang").json["tickets"] == []
    assert api("get", "/tasks", "minhang").json["tasks"] == []
    for method, path, body in (("get", f"/tickets/{ticket['id']}", None), ("get", f"/tasks/{task}", None),
                               ("post", f"/tasks/{task}/claim", None),
                               ("post", f"/tasks/{task}/complete", {"data": ACCEPT}),
                               ("post", f"/tickets/{ticket['id']}/comments", {"body": "peek"})):
        assert api(method, path, "minhang", json=body).status_code == 404, path
    refused = api("post", "/tickets", "minhang", json={"process": "red_fault", "title": "x", "customer_id": port,
                                                       "data": REPORT})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["field"] == "customer_id"
    assert api("post", f"/tasks/{task}/complete", "pudong", json={"data": ACCEPT}).status_code == 200


def test_branches_lists_what_the_caller_sees(api):
    assert [b["code"] for b in api("get", "/branches", "pudong").json["branches"]] == ["SH-PD"]
    assert [b["code"] for b in api("get", "/branches", "admin").json["branches"]] == ["HQ", "SH", "SH-MH", "SH-PD"]


def test_the_openapi_document_describes_the_customer_routes(api):
    paths = api("get", "/openapi.json").json["paths"]
    for path in ("/customers", "/customers/{customer_id}", "/customers/{customer_id}/contacts",
                 "/customers/{customer_id}/contacts/{contact_id}", "/customers/{customer_id}/contracts",
                 "/customers/{customer_id}/contracts/{contract_id}", "/customers/{customer_id}/history",
                 "/customers/{customer_id}/views", "/branches"):
        assert path in paths, path
    assert "patch" in paths["/customers/{customer_id}"] and "delete" not in paths["/customers/{customer_id}"]
