"""SLA over HTTP: a ticket shows its clocks, staff pause and resume it, admins keep policies and calendars."""

import pytest

from tests.test_api import REPORT

ADMIN_ONLY = [
    ("post", "/sla-policies", {"name": "A+ faults", "customer_tier": "A+", "resolution": "PT30M"}),
    ("put", "/calendars/office", {"hours": {"mon": ["08:30-12:00"]}}),
    ("post", "/calendars/office/days", {"day": "2027-01-01", "kind": "holiday", "note": "New Year"}),
]


def start(api):
    body = {"process": "red_fault", "title": "Leased line down", "data": REPORT}
    return api("post", "/tickets", "agent", json=body).json


def test_a_ticket_shows_its_sla_clocks_and_pauses_over_http(api, fake_clock):
    ticket = start(api)
    promise, clock = ticket["sla"]  # red_fault's answer promise counted from the call, then the task's own clock
    assert (promise["kind"], promise["task_id"], promise["until"], promise["target_seconds"]) == (
        "response", None, "accept_fault", 600)
    assert (clock["kind"], clock["state"], clock["target_seconds"]) == ("resolution", "pending", 600)
    assert ticket["tasks"][0]["sla_state"] is None
    paused = api("post", f"/tickets/{ticket['id']}/pause", "agent", json={"reason": "Customer to confirm access"})
    assert paused.status_code == 200
    assert paused.json["waiting_since"] and all(c["paused"] for c in paused.json["sla"])
    assert api("post", f"/tickets/{ticket['id']}/pause", "agent", json={"reason": "x"}).status_code == 409
    fake_clock.advance(minutes=5)
    resumed = api("post", f"/tickets/{ticket['id']}/resume", "agent")
    assert resumed.status_code == 200
    assert [c["paused_seconds"] for c in resumed.json["sla"]] == [300, 300]
    assert resumed.json["waiting_since"] is None


def test_pausing_needs_a_reason(api):
    ticket = start(api)
    response = api("post", f"/tickets/{ticket['id']}/pause", "agent", json={"reason": " "})
    assert response.status_code == 422 and response.json["error"]["details"][0]["field"] == "reason"


@pytest.mark.parametrize("method, path, body", ADMIN_ONLY)
def test_only_admins_change_policies_and_calendars(api, method, path, body):
    api("put", "/calendars/office", "admin", json={"hours": {"mon": ["08:30-17:30"]}})
    assert api(method, path, "supervisor", json=body).status_code == 403
    assert api(method, path, "admin", json=body).status_code in (200, 201)


def test_policies_are_listed_changed_and_validated(api):
    created = api("post", "/sla-policies", "admin", json={"name": "A+", "customer_tier": "A+", "resolution": "PT1H"})
    assert created.status_code == 201
    policy_id = created.json["id"]
    changed = api("put", f"/sla-policies/{policy_id}", "admin", json={"resolution": "PT45M", "active": False})
    assert (changed.json["resolution"], changed.json["active"]) == ("PT45M", False)
    bad = api("put", f"/sla-policies/{policy_id}", "admin", json={"warn_percent": 150, "colour": "red"})
    assert bad.status_code == 422
    assert {d["field"] for d in bad.json["error"]["details"]} == {"warn_percent", "colour"}
    assert api("put", "/sla-policies/999", "admin", json={}).status_code == 404
    listed = api("get", "/sla-policies", "agent").json["sla_policies"]
    assert [(p["name"], p["resolution"], p["active"]) for p in listed] == [
        ("A+ customers: repair within 2 hours", "PT2H", True), ("A+", "PT45M", False)]  # the demo policy first


def test_calendars_show_the_years_nobody_entered(api, fake_clock):
    saved = api("put", "/calendars/office", "admin",
                json={"timezone": "Asia/Shanghai", "hours": {d: ["08:30-12:00", "13:30-17:30"]
                                                             for d in ("mon", "tue", "wed", "thu", "fri")}})
    assert saved.status_code == 200 and saved.json["missing_years"] == []
    listed = api("get", "/calendars", "agent").json["calendars"]
    assert [(c["name"], c["missing_years"]) for c in listed] == [("office", [2027])]
    day = api("post", "/calendars/office/days", "admin", json={"day": "2027-01-01", "kind": "holiday"})
    assert day.status_code == 201
    assert api("get", "/calendars", "agent").json["calendars"][0]["missing_years"] == []
    assert api("post", "/calendars/office/days", "admin", json={"day": "soon", "kind": "party"}).status_code == 422
    assert api("put", "/calendars/bad", "admin", json={"hours": {"mon": ["nine to five"]}}).status_code == 422
    assert api("put", "/calendars/24x7", "admin", json={"hours": {}}).json["error"]["details"][0]["field"] == "name"
    unknown = api("post", "/calendars/nope/days", "admin", json={"day": "2027-01-01", "kind": "holiday"})
    assert unknown.status_code == 404
