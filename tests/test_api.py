"""The REST API end to end, on SQLite and on PostgreSQL: auth, each operation, each error, the OpenAPI file."""

from io import BytesIO

import pytest
from openapi_spec_validator import validate as validate_openapi

from engine import scheduler
from engine.demo import BPMN_DIR
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from tests.test_tickets import ACCEPT, COMPENSATE, COMPENSATION, NOT_REPAIRED, ON_SITE, REPAIRED, REPORT

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
XML = {"Content-Type": "application/xml"}
SHIPPED = sorted(path.stem for path in BPMN_DIR.glob("*.bpmn"))  # the demo deploys each once


def start(api, username="agent", **fields):
    body = {"process": "red_fault", "title": "Leased line down", "data": REPORT, **fields}
    return api("post", "/tickets", username, json=body)


def first_open_task(api, ticket_id, username="supervisor"):
    tasks = api("get", f"/tickets/{ticket_id}", username).json["tasks"]
    assert len(tasks) == 1
    return tasks[0]


def complete(api, ticket_id, username, data):
    task = first_open_task(api, ticket_id)
    return api("post", f"/tasks/{task['id']}/complete", username, json={"data": data})


def test_requests_without_a_valid_token_are_refused(api):
    for headers in ({}, {"Authorization": "Bearer kd_forged"}, {"Authorization": "Basic YWdlbnQ6ZGVtbw=="}):
        response = api("get", "/tickets", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"


def test_the_openapi_document_is_valid_and_describes_every_route(api):
    response = api("get", "/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate_openapi(spec)
    for path in ("/process-models", "/process-models/validate", "/tickets", "/tickets/{ticket_id}",
                 "/tasks", "/tasks/{task_id}/claim", "/tasks/{task_id}/unclaim", "/tasks/{task_id}/complete",
                 "/tasks/{task_id}/assign"):
        assert path in spec["paths"], path


def test_a_full_red_fault_lifecycle_over_http(api):
    created = start(api, priority="high", customer_id=1)
    assert created.status_code == 201, created.json
    ticket = created.json
    assert ticket["number"].startswith("R-") and ticket["process"] == {"key": "red_fault", "version": 1}
    assert [t["name"] for t in ticket["tasks"]] == ["Accept the fault"]

    inbox = api("get", "/tasks", "agent").json["tasks"]
    assert [t["ticket"]["number"] for t in inbox] == [ticket["number"]]
    assert api("get", "/tasks", "tech").json["tasks"] == []

    task_id = inbox[0]["id"]
    detail = api("get", f"/tasks/{task_id}", "agent").json
    assert detail["form"]["required"] == ["impact", "customer_answered"]
    assert api("post", f"/tasks/{task_id}/claim", "agent").json["assignee"] == "agent"
    [mine] = api("get", "/tasks?assignee=me", "agent").json["tasks"]
    assert mine == {key: value for key, value in api("get", f"/tasks/{task_id}", "agent").json.items()
                    if key != "form"}  # the list's read-only lines say what the task itself says

    for username, data in (("agent", ACCEPT), ("tech", ON_SITE), ("tech", NOT_REPAIRED), ("tech", REPAIRED),
                           ("manager", COMPENSATE), ("manager", COMPENSATION)):
        response = complete(api, ticket["id"], username, data)
        assert response.status_code == 200, response.json

    final = api("get", f"/tickets/{ticket['id']}", "agent").json
    assert final["status"] == "closed" and final["tasks"] == []
    kinds = [e["kind"] for e in final["history"]]
    assert kinds[0] == "created" and kinds[-1] == "closed" and kinds.count("completed") == 6
    assert [t["number"] for t in api("get", "/tickets?status=closed&channel=red", "agent").json["tickets"]] == [
        ticket["number"]]
    assert api("get", "/tickets?status=open", "agent").json["tickets"] == []


@pytest.mark.parametrize("username, path, body, status, code", [
    ("tech", "claim", None, 403, "forbidden"),
    ("agent", "complete", {"data": {"impact": 1}}, 422, "invalid_input"),
    ("agent", "complete", {"data": "not an object"}, 422, "invalid_input"),
    ("agent", "assign", {"username": "agent"}, 403, "forbidden"),
    ("supervisor", "assign", {"username": "tech"}, 422, "invalid_input"),
])
def test_task_errors_have_the_right_status_and_change_nothing(api, username, path, body, status, code):
    ticket = start(api).json
    task_id = ticket["tasks"][0]["id"]
    before = api("get", f"/tickets/{ticket['id']}", "agent").json
    response = api("post", f"/tasks/{task_id}/{path}", username, json=body or {})
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert api("get", f"/tickets/{ticket['id']}", "agent").json == before


def test_a_wrong_form_value_is_a_422_naming_the_field(api):
    task_id = start(api).json["tasks"][0]["id"]
    response = api("post", f"/tasks/{task_id}/complete", "agent",
                   json={"data": {"impact": "flood", "customer_answered": True}})
    assert response.status_code == 422
    assert response.json["error"]["details"] == [{
        "field": "impact",
        "message": "Impact on the customer must be one of: Service down, Some sites or lines down, Service degraded",
        "message_zh": "“影响范围”必须是以下之一：业务全阻、部分中断、质量下降"}]


def test_the_second_completion_of_a_task_is_a_409(api):
    task_id = start(api).json["tasks"][0]["id"]
    done = api("post", f"/tasks/{task_id}/complete", "agent", json={"data": ACCEPT})
    assert done.status_code == 200 and done.json["state"] == "completed"
    assert [(t["name"], t["role"]) for t in done.json["open_tasks"]] == [("Get on site (level 1)", "tech")]
    again = api("post", f"/tasks/{task_id}/complete", "agent", json={"data": ACCEPT})
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"


def test_a_supervisor_assigns_and_cancels(api):
    ticket = start(api).json
    task_id = ticket["tasks"][0]["id"]
    assigned = api("post", f"/tasks/{task_id}/assign", "supervisor", json={"username": "agent"})
    assert (assigned.status_code, assigned.json["assignee"]) == (200, "agent")
    assert api("post", f"/tickets/{ticket['id']}/cancel", "agent", json={"reason": "x"}).status_code == 403
    cancelled = api("post", f"/tickets/{ticket['id']}/cancel", "supervisor", json={"reason": "Customer withdrew"})
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert cancelled.json["history"][-1]["data"] == {"reason": "Customer withdrew"}
    assert api("post", f"/tickets/{ticket['id']}/cancel", "supervisor", json={"reason": "x"}).status_code == 409


def test_comments(api):
    ticket = start(api).json
    response = api("post", f"/tickets/{ticket['id']}/comments", "agent", json={"body": "On my way"})
    assert response.status_code == 201
    assert response.json["history"][-1]["data"] == {"body": "On my way"}
    assert api("post", f"/tickets/{ticket['id']}/comments", "agent", json={"body": ""}).status_code == 422
    assert api("post", f"/tickets/{ticket['id']}/comments", "tech", json={"body": "x"}).status_code == 403


@pytest.mark.parametrize("body, field", [
    ({"process": "red_fault"}, "title"),
    ({"process": "red_fault", "title": "x", "priority": "asap"}, "priority"),
    ({"process": "red_fault", "title": "x", "customer_id": 404}, "customer_id"),
    ({"process": "red_fault", "title": "x", "data": {"service": "voice"}}, "description"),
])
def test_bad_ticket_requests_name_the_field(api, body, field):
    response = api("post", "/tickets", "agent", json=body)
    assert response.status_code == 422
    assert field in {d["field"] for d in response.json["error"]["details"]}
    assert api("get", "/tickets", "agent").json["tickets"] == []


@pytest.mark.parametrize("method, path, status", [
    ("get", "/tickets/999", 404),
    ("get", "/tasks/999", 404),
    ("post", "/tasks/999/claim", 404),
    ("post", "/tickets", 422),  # no JSON body
    ("get", "/tickets?status=lost", 422),
    ("get", "/tickets?limit=0", 422),
    ("get", "/tasks?state=done", 422),
    ("get", "/tasks?assignee=bob", 422),
    ("get", "/nowhere", 404),
    ("delete", "/tickets/1", 405),
])
def test_errors_are_json_with_a_4xx(api, method, path, status):
    response = api(method, path, "agent")
    assert response.status_code == status
    assert response.json["error"]["code"] and response.json["error"]["message"]


def test_deploy_is_for_supervisors_and_makes_a_new_version(api):
    assert api("post", "/process-models", "agent", data=RED_FAULT, headers=XML).status_code == 403
    first = start(api).json
    deployed = api("post", "/process-models", "supervisor", content_type="multipart/form-data",
                   data={"file": (BytesIO(RED_FAULT), "red_fault.bpmn"), "comment": "second",
                         "dmn": [(BytesIO(RED_FAULT_DMN), "red_fault.dmn")]})
    assert deployed.status_code == 201
    assert deployed.json["deployed"][0]["version"] == 2 and deployed.json["deployed"][0]["comment"] == "second"
    second = start(api).json
    assert (first["process"]["version"], second["process"]["version"]) == (1, 2)
    # the old ticket stays on its version for life
    complete(api, first["id"], "agent", ACCEPT)
    assert api("get", f"/tickets/{first['id']}", "agent").json["process"]["version"] == 1
    models = api("get", "/process-models", "agent").json["process_models"]
    assert {m["key"]: m["latest_version"] for m in models} == {**dict.fromkeys(SHIPPED, 1), "red_fault": 2}


def test_deploy_by_multipart_upload(api):
    response = api("post", "/process-models", "supervisor", content_type="multipart/form-data",
                   data={"file": (BytesIO(simple()), "simple.bpmn"), "comment": "new"})
    assert response.status_code == 201
    assert response.json["deployed"][0]["key"] == "simple"


def test_an_invalid_diagram_deploys_nothing_and_lists_every_problem(api):
    bad = simple(role="Helpdesk", script="import os")
    response = api("post", "/process-models?comment=broken", "supervisor", data=bad, headers=XML)
    assert response.status_code == 422
    problems = response.json["error"]["details"]
    assert {p["element_id"] for p in problems} == {"lane_1", "step"}
    assert all({"element_id", "message", "line", "hint", "message_zh", "hint_zh"} <= set(p) and p["line"]
               and p["hint"] and p["message_zh"] and p["hint_zh"] for p in problems)
    assert [m["key"] for m in api("get", "/process-models", "agent").json["process_models"]] == SHIPPED
    checked = api("post", "/process-models/validate", "supervisor", data=bad, headers=XML).json
    assert checked["valid"] is False and checked["problems"] == problems
    assert api("post", "/process-models/validate", "admin", data=simple(), headers=XML).json == {
        "valid": True, "problems": []}


@pytest.mark.parametrize("role", ["agent", "tech", "manager"])
def test_only_those_who_may_deploy_may_validate(api, role):
    assert api("post", "/process-models/validate", role, data=simple(), headers=XML).status_code == 403


@pytest.mark.parametrize("comment", ["", "   "])
def test_a_deployment_without_a_comment_is_refused_naming_the_comment(api, comment):
    refused = api("post", "/process-models", "supervisor", content_type="multipart/form-data",
                  data={"file": (BytesIO(simple()), "simple.bpmn"), "comment": comment})
    assert refused.status_code == 422
    assert [d["field"] for d in refused.json["error"]["details"]] == ["comment"]
    assert refused.json["error"]["details"][0]["message_zh"]
    assert "simple" not in [m["key"] for m in api("get", "/process-models", "agent").json["process_models"]]


def test_healthz_reports_the_scheduler(client, fake_clock):
    down = client.get("/healthz")
    assert down.status_code == 503
    assert down.json["checks"]["scheduler"].startswith("down") and down.json["checks"]["database"] == "ok"
    scheduler.beat("test-worker")
    assert client.get("/healthz").status_code == 200
    fake_clock.advance(minutes=5)
    stale = client.get("/healthz")
    assert stale.status_code == 503 and "last heartbeat 300 s ago" in stale.json["checks"]["scheduler"]


def test_tickets_are_found_by_number_title_customer_or_a_phone_in_any_spacing(api):
    from tests.web_data import red_ticket

    port, bank = red_ticket("Leased line down", "G0001"), red_ticket("Bank link slow", "G0002")

    def numbers(q: str) -> list[str]:
        return [t["number"] for t in api("get", "/tickets", "agent", query_string={"q": q}).json["tickets"]]

    assert numbers("139 1111-0001") == [port.number]  # Gao Feng, a contact of the port group
    assert numbers(bank.number) == [bank.number]
    assert numbers("link") == [bank.number] and numbers("g0001") == [port.number]
    assert numbers("Huadong") == [bank.number]  # the bank's name
    assert numbers("nothing like it") == []
