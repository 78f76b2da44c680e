"""A bundle of several BPMN files (issue 15): each diagram is checked against the tables and forms it uses, a called
process of the bundle deploys before its caller, and the whole bundle deploys in one transaction or not at all; over
the API and the command line."""

import json
from io import BytesIO

from sqlalchemy import select

import run
from engine.db import db
from engine.models import ProcessModel
from tests.bpmn_samples import simple
from tests.test_bundles import DIAGRAM, INSPECT_FORM, TRIAGE, URGENCY, WORK_FORM
from tests.test_call_activities import CALL, approval
from tests.test_cli import env  # noqa: F401 - the command line's fixture
from tests.test_deploy_checks import BPMN_DIR
from web import create_app

LINE_FORMS = {"line_check.work.form.json": WORK_FORM, "line_triage.inspect.form.json": INSPECT_FORM}
URGENCY_TABLE = URGENCY.replace("{decision}", "line_urgency").replace("{input}", "line_state").encode()
CALLERS_FIRST = ["green_order.bpmn"]  # it calls contract_approval: sent first, deployed after it
SHIPPED = [*CALLERS_FIRST, *sorted(p.name for p in BPMN_DIR.glob("*.bpmn") if p.name not in CALLERS_FIRST),
           *sorted(p.name for p in BPMN_DIR.glob("*.dmn")), *sorted(p.name for p in BPMN_DIR.glob("*.form.json"))]
DEPLOY_ORDER = ["contract_approval", "green_order",
                *sorted(p.stem for p in BPMN_DIR.glob("*.bpmn") if p.stem not in ("contract_approval", "green_order"))]


def multipart(diagrams: dict[str, bytes], tables: dict[str, bytes] | None = None, forms: dict | None = None,
              comment: str = "two flows") -> dict:
    """The bundle as the API takes it: each diagram a `file` field, each table a `dmn`, each form a `form`."""
    return {"file": [(BytesIO(xml), name) for name, xml in diagrams.items()],
            "dmn": [(BytesIO(xml), name) for name, xml in (tables or {}).items()],
            "form": [(BytesIO(json.dumps(form).encode()), name) for name, form in (forms or {}).items()],
            "comment": comment}


def send(api, endpoint: str = "/process-models", **bundle):
    return api("post", endpoint, "supervisor", data=multipart(**bundle), content_type="multipart/form-data")


def versions(api, key: str) -> list[dict]:
    found = api("get", f"/process-models/{key}/versions", "supervisor")
    return found.json["versions"] if found.status_code == 200 else []


def test_two_diagrams_with_their_tables_and_forms_deploy_in_one_request(api):
    deployed = send(api, diagrams={"line_check.bpmn": DIAGRAM, "line_triage.bpmn": TRIAGE},
                    tables={"urgency.dmn": URGENCY_TABLE}, forms=LINE_FORMS)
    assert deployed.status_code == 201, deployed.json
    assert [(v["key"], v["version"]) for v in deployed.json["deployed"]] == [("line_check", 1), ("line_triage", 1)]
    check = api("get", "/process-models/line_check/versions/1", "supervisor").json
    triage = api("get", "/process-models/line_triage/versions/1", "supervisor").json
    assert (check["dmn"], list(check["forms"])) == ([], ["line_check.work"])  # each keeps what it uses
    assert (triage["dmn"], list(triage["forms"])) == ([URGENCY_TABLE.decode()], ["line_triage.inspect"])
    ticket = api("post", "/tickets", "agent", json={"process": "line_triage", "title": "No dial tone"}).json
    assert [t["name"] for t in ticket["tasks"]] == ["Inspect the line"]


def test_shipped_diagrams_with_each_others_tables_deploy_together(api):
    """The case the issue met: each diagram was checked against every table of the bundle ("dunning_method unused
    for red_fault")."""
    deployed = send(api, diagrams={name: (BPMN_DIR / name).read_bytes()
                                   for name in ("red_fault.bpmn", "yellow_dunning.bpmn")},
                    tables={name: (BPMN_DIR / name).read_bytes() for name in ("red_fault.dmn", "yellow_dunning.dmn")})
    assert deployed.status_code == 201, deployed.json
    assert [(v["key"], v["version"]) for v in deployed.json["deployed"]] == [("red_fault", 2), ("yellow_dunning", 2)]
    red = api("get", "/process-models/red_fault/versions/2", "supervisor").json
    assert red["dmn"] == [(BPMN_DIR / "red_fault.dmn").read_text(encoding="utf-8")]


def test_one_broken_diagram_deploys_nothing_and_is_named_with_its_element(api):
    refused = send(api, diagrams={"line_check.bpmn": DIAGRAM, "broken.bpmn": simple(key="line_broken",
                                                                                  role="Helpdesk")},
                   forms=LINE_FORMS)
    assert refused.status_code == 422
    problem, = refused.json["error"]["details"]
    assert (problem["file"], problem["element_id"], problem["code"]) == ("broken.bpmn", "lane_1", "lane_role")
    assert problem["line"] and problem["message_zh"] and problem["hint_zh"]
    assert "nothing was deployed" in refused.json["error"]["message"] and refused.json["error"]["message_zh"]
    assert versions(api, "line_check") == [] and versions(api, "line_broken") == []


def test_a_caller_sent_before_its_callee_deploys_after_it_and_runs_it(api):
    deployed = send(api, diagrams={"order.bpmn": simple(key="order", step=CALL),
                                   "approval.bpmn": approval("Director approves")})
    assert deployed.status_code == 201, deployed.json
    assert [v["key"] for v in deployed.json["deployed"]] == ["approval", "order"]
    ticket = api("post", "/tickets", "agent", json={"process": "order", "title": "New leased line"}).json
    assert [(t["name"], t["role"]) for t in ticket["tasks"]] == [("Director approves", "supervisor")]


def test_a_broken_callee_is_reported_in_its_own_file_and_its_caller_is_checked_against_it(api):
    broken = approval("Director approves").replace(b'name="supervisor"', b'name="Helpdesk"')
    found = send(api, "/process-models/validate", diagrams={"order.bpmn": simple(key="order", step=CALL),
                                                            "approval.bpmn": broken}).json
    assert [(p["file"], p["element_id"]) for p in found["problems"]] == [("approval.bpmn", "lane_1")]


def test_validate_answers_each_files_problems(api):
    found = send(api, "/process-models/validate",
                 diagrams={"line_check.bpmn": DIAGRAM, "broken.bpmn": simple(key="line_broken", role="Helpdesk")},
                 tables={"spare.dmn": URGENCY_TABLE.replace(b'"line_urgency"', b'"spare_rule"')}).json
    assert found["valid"] is False
    assert {(p["file"], p["element_id"], p["code"]) for p in found["problems"]} == {
        ("line_check.bpmn", "work", "unknown_form"),  # its form is in no file of the bundle
        ("broken.bpmn", "lane_1", "lane_role"),
        ("spare.dmn", "spare_rule", "decision_unused")}  # no diagram of the bundle calls it
    assert all(p["message_zh"] and p["hint_zh"] and p["line"] for p in found["problems"])


def test_what_only_a_bundle_can_get_wrong_is_refused_where_it_is(api):
    calls_back = simple(key="approval", role="supervisor", step=CALL.replace('"approval"', '"order"'))
    circle = send(api, "/process-models/validate", diagrams={"order.bpmn": simple(key="order", step=CALL),
                                                             "approval.bpmn": calls_back}).json["problems"]
    assert [(p["file"], p["element_id"], p["code"]) for p in circle] == [("approval.bpmn", "step", "call_circle")]
    twice = send(api, "/process-models/validate", diagrams={"a.bpmn": DIAGRAM, "b.bpmn": DIAGRAM},
                 forms=LINE_FORMS).json["problems"]
    assert [(p["file"], p["element_id"], p["code"]) for p in twice] == [("b.bpmn", "line_check", "process_twice")]
    same_decision = send(api, "/process-models/validate", diagrams={"line_triage.bpmn": TRIAGE}, forms=LINE_FORMS,
                         tables={"urgency.dmn": URGENCY_TABLE, "copy.dmn": URGENCY_TABLE}).json["problems"]
    assert [(p["file"], p["element_id"], p["code"]) for p in same_decision] == [
        ("copy.dmn", "line_urgency", "decision_twice")]
    assert all(p["message_zh"] and p["line"] for p in circle + twice + same_decision)


def deployed_versions() -> dict[str, list[dict]]:
    """Each process model's versions (diagram, tables, called diagrams), read from the database the command line
    wrote."""
    with create_app().app_context():
        found = {model.key: [{"bpmn": v.bpmn_xml, "dmn": v.dmn_xml, "called": v.called_xml} for v in model.versions]
                 for model in db.session.scalars(select(ProcessModel))}
        db.engine.dispose()
    return found


def test_the_command_line_deploys_every_shipped_file_in_one_command_on_an_empty_database(env, capsys):  # noqa: F811
    assert run.main(["create-admin", "chen.admin"]) == 0
    files = [str(BPMN_DIR / name) for name in SHIPPED]
    broken = env / "broken.bpmn"
    broken.write_bytes(simple(key="line_broken", role="Helpdesk"))
    assert run.main(["deploy", "--as", "chen.admin", *files, str(broken)]) == 1
    assert "broken.bpmn line " in capsys.readouterr().err and deployed_versions() == {}  # all or nothing

    assert run.main(["deploy", "--as", "chen.admin", *files]) == 0
    assert capsys.readouterr().out.splitlines()[-len(DEPLOY_ORDER):] == [
        f"deployed {key} version 1" for key in DEPLOY_ORDER]
    found = deployed_versions()
    assert sorted(found) == sorted(DEPLOY_ORDER)
    green, contract = found["green_order"][0], found["contract_approval"][0]
    assert contract["bpmn"] in green["called"]  # the callee deployed first, and the caller keeps it
    assert found["red_fault"][0]["dmn"] == [(BPMN_DIR / "red_fault.dmn").read_text(encoding="utf-8")]

    assert run.main(["deploy", "--as", "chen.admin", *files]) == 0  # as a single file redeployed: new versions
    assert "deployed green_order version 2" in capsys.readouterr().out
    assert {key: len(v) for key, v in deployed_versions().items()} == dict.fromkeys(DEPLOY_ORDER, 2)
