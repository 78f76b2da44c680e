"""Versions over the API: who deployed what, what changed between two, rollback; supervisors only."""

from io import BytesIO

import pytest

from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, TIMER_STEP, simple

XML = {"Content-Type": "application/xml"}


def deploy(api, xml: bytes, comment: str) -> dict:
    response = api("post", f"/process-models?comment={comment}", "supervisor", data=xml, headers=XML)
    assert response.status_code == 201, response.json
    return response.json["deployed"][0]


def deploy_red_fault(api, xml: bytes, comment: str) -> dict:
    """The red-fault flow decides the fault level with its decision table, which deploys with it."""
    response = api("post", "/process-models", "supervisor", content_type="multipart/form-data",
                   data={"file": (BytesIO(xml), "red_fault.bpmn"), "comment": comment,
                         "dmn": [(BytesIO(RED_FAULT_DMN), "red_fault.dmn")]})
    assert response.status_code == 201, response.json
    return response.json["deployed"][0]


def changed_red_fault() -> bytes:
    """The red-fault flow with a tighter SLA on its first step and a changed condition."""
    text = RED_FAULT.decode()
    assert 'name="sla.resolution" value="PT10M"' in text and ">restored<" in text
    return (text.replace('name="sla.resolution" value="PT10M"', 'name="sla.resolution" value="PT5M"', 1)
            .replace(">restored<", ">restored == True<").encode())


def test_versions_list_who_when_and_why(api):
    deploy(api, simple(), "first")
    deploy(api, simple(role="manager"), "the manager works it now")
    versions = api("get", "/process-models/simple/versions", "supervisor").json["versions"]
    assert [(v["version"], v["comment"], v["deployed_by"]) for v in versions] == [
        (1, "first", "supervisor"), (2, "the manager works it now", "supervisor")]
    assert all(v["deployed_at"] for v in versions)
    one = api("get", "/process-models/simple/versions/1", "supervisor").json
    assert one["bpmn_xml"].encode() == simple()


def test_the_diff_names_each_changed_element_and_what_changed(api):
    deploy(api, simple(step=TIMER_STEP.replace("{duration}", "PT10M")), "v1")
    deploy(api, simple(role="manager", step=TIMER_STEP.replace("{duration}", "PT1H"),
                       work_props={"sla.resolution": "PT4H"}), "v2")
    diff = api("get", "/process-models/simple/diff?from=1&to=2", "supervisor").json
    changes = {c["id"]: {(x["field"], x["from"], x["to"]) for x in c["changes"]} for c in diff["changed"]}
    assert changes["lane_1"] == {("name", "agent", "manager")}
    assert ("lane", "agent", "manager") in changes["work"]
    assert ("property sla.resolution", None, "PT4H") in changes["work"]
    assert changes["step"] == {("timer", "timeDuration=PT10M", "timeDuration=PT1H")}
    assert diff["added"] == [] and diff["removed"] == []


def test_the_diff_shows_added_and_removed_elements_and_conditions(api):
    first = deploy_red_fault(api, RED_FAULT, "v1")
    second = deploy_red_fault(api, changed_red_fault(), "v2")
    key = first["key"]
    diff = api("get", f"/process-models/{key}/diff?from={first['version']}&to={second['version']}",
               "supervisor").json
    fields = {(c["id"], x["field"]) for c in diff["changed"] for x in c["changes"]}
    assert ("flow_restored_yes", "condition") in fields
    assert any(field == "property sla.resolution" for _, field in fields)
    third = deploy(api, simple(key=key, channel="red"), "v3: a much simpler flow")
    smaller = api("get", f"/process-models/{key}/diff?from={first['version']}&to={third['version']}",
                  "supervisor").json
    assert any(r["id"] == "flow_restored_yes" and r["type"] == "sequenceFlow" for r in smaller["removed"])
    assert any(a["id"] == "step" for a in smaller["added"])


def test_rollback_deploys_the_old_content_as_the_newest_version(api):
    deploy(api, simple(), "first")
    deploy(api, simple(role="manager"), "second")
    response = api("post", "/process-models/simple/versions/1/rollback", "supervisor",
                   json={"comment": "the manager lane was a mistake"})
    assert response.status_code == 201
    assert (response.json["version"], response.json["comment"]) == (
        3, "rollback to version 1: the manager lane was a mistake")
    assert api("get", "/process-models/simple/versions/3", "supervisor").json["bpmn_xml"].encode() == simple()
    started = api("post", "/tickets", "agent", json={"process": "simple", "title": "after rollback"}).json
    assert started["process"]["version"] == 3
    assert [t["role"] for t in api("get", f"/tickets/{started['id']}", "agent").json["tasks"]] == ["agent"]


@pytest.mark.parametrize("method, path", [
    ("get", "/process-models/simple/versions"),
    ("get", "/process-models/simple/versions/1"),
    ("get", "/process-models/simple/diff?from=1&to=1"),
    ("post", "/process-models/simple/versions/1/rollback"),
    ("get", "/process-models/simple/versions/1/heatmap"),
    ("post", "/process-models/simple/versions/1/migration/check"),
    ("post", "/process-models/simple/versions/1/migration"),
])
def test_only_supervisors_and_admins_see_versions(api, method, path):
    deploy(api, simple(), "first")
    kwargs = {"json": {"to": 1}} if method == "post" else {}
    assert api(method, path, "agent", **kwargs).status_code == 403
    assert api(method, path, "admin", **kwargs).status_code in (200, 201, 422)


def test_unknown_models_versions_and_bad_arguments_are_named(api):
    deploy(api, simple(), "first")
    assert api("get", "/process-models/nope/versions", "supervisor").status_code == 404
    missing = api("get", "/process-models/simple/versions/9", "supervisor")
    assert missing.status_code == 404 and "no version 9" in missing.json["error"]["message"]
    bad = api("get", "/process-models/simple/diff?from=1", "supervisor")
    assert bad.status_code == 422 and bad.json["error"]["details"][0]["field"] == "to"
    same = api("post", "/process-models/simple/versions/1/migration", "supervisor", json={"to": 1})
    assert same.status_code == 422
    mapping = api("post", "/process-models/simple/versions/1/migration/check", "supervisor",
                  json={"to": 1, "mapping": ["x"]})
    assert mapping.status_code == 422


def test_the_openapi_document_describes_the_version_routes(api):
    paths = api("get", "/openapi.json").json["paths"]
    for path in ("/process-models/{key}/versions", "/process-models/{key}/diff",
                 "/process-models/{key}/versions/{number}/rollback",
                 "/process-models/{key}/versions/{number}/migration/check",
                 "/process-models/{key}/versions/{number}/migration",
                 "/process-models/{key}/versions/{number}/heatmap"):
        assert path in paths
