"""A deployment is a bundle: the diagram with its decision tables and its forms (``<form key>.form.json`` files),
over the API and the command line; a version keeps the forms it was deployed with."""

import json
from io import BytesIO

import pytest
from lxml import etree

import run
from engine import diagrams
from engine.bundles import contents
from engine.checks import bundle as bundle_check
from engine.errors import InvalidInput
from engine.forms import files as form_files
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from tests.test_cli import env  # noqa: F401 - the command line's fixture
from tests.test_deploy_checks import BPMN_DIR, without

YELLOW_COMPLAINT = (BPMN_DIR / "yellow_complaint.bpmn").read_bytes()

WORK_FORM = {
    "type": "object", "title": "Check the line", "x-title-zh": "检查线路",
    "properties": {"line_ok": {"type": "string", "title": "Line state", "x-title-zh": "线路状态",
                               "enum": ["up", "down"],
                               "x-enum-labels": {"en": ["Up", "Down"], "zh": ["正常", "中断"]}}},
    "required": ["line_ok"], "additionalProperties": False,
}
DIAGRAM = simple(key="line_check", work_props={"form": "line_check.work"})


def bundle(diagram: bytes = DIAGRAM, forms: dict | None = None, dmn: list[bytes] = (), comment: str = "bundle"):
    """A multipart body: the diagram as `file`, each table as `dmn`, each form (file name -> schema or raw bytes)
    as `form`."""
    forms = {"line_check.work.form.json": WORK_FORM} if forms is None else forms
    return {"file": (BytesIO(diagram), "diagram.bpmn"), "comment": comment,
            "dmn": [(BytesIO(table), f"table{n}.dmn") for n, table in enumerate(dmn)],
            "form": [(BytesIO(content if isinstance(content, bytes) else as_file(content).encode()), name)
                     for name, content in forms.items()]}


def as_file(form: dict) -> str:
    """A form as a form file is written: indented, one name a line."""
    return json.dumps(form, indent=2, ensure_ascii=False)


def last_line_with(text: str, snippet: str) -> int:
    return max(n for n, line in enumerate(text.splitlines(), 1) if snippet in line)


def deploy(api, **kwargs):
    return api("post", "/process-models", "supervisor", data=bundle(**kwargs), content_type="multipart/form-data")


def test_a_bundle_with_a_new_form_deploys_and_its_task_asks_for_that_form(api):
    assert deploy(api).status_code == 201
    ticket = api("post", "/tickets", "agent", json={"process": "line_check", "title": "Check"}).json
    task, = ticket["tasks"]
    detail = api("get", f"/tasks/{task['id']}", "agent").json
    assert detail["form"]["properties"]["line_ok"]["x-title-zh"] == "线路状态"
    wrong = api("post", f"/tasks/{task['id']}/complete", "agent", json={"data": {"line_ok": "sideways"}})
    assert wrong.status_code == 422
    assert [d["field"] for d in wrong.json["error"]["details"]] == ["line_ok"]
    assert "正常、中断" in wrong.json["error"]["details"][0]["message_zh"]
    done = api("post", f"/tasks/{task['id']}/complete", "agent", json={"data": {"line_ok": "down"}})
    assert done.status_code == 200, done.json


def test_a_redeploy_without_forms_keeps_the_forms_of_the_current_version(api):
    assert deploy(api).status_code == 201
    again = deploy(api, forms={}, comment="label change only")
    assert again.status_code == 201, again.json
    version = api("get", "/process-models/line_check/versions/2", "supervisor").json
    assert version["forms"] == {"line_check.work": WORK_FORM}


def test_a_task_naming_a_form_neither_in_the_bundle_nor_deployed_is_refused(api):
    refused = deploy(api, forms={})
    assert refused.status_code == 422
    problem, = refused.json["error"]["details"]
    assert problem["element_id"] == "work" and "line_check.work" in problem["message"]
    assert api("get", "/process-models/line_check/versions", "supervisor").status_code == 404


@pytest.mark.parametrize("name, content, needle", [
    ("line_check.work.json", WORK_FORM, "<form key>.form.json"),
    ("line_check.work.form.json", b"{not json", "not valid JSON"),
    ("line_check.work.form.json", b"[1, 2]", "must hold a JSON object"),
])
def test_a_form_file_that_is_misnamed_or_not_a_json_object_is_refused_naming_the_file(api, name, content, needle):
    refused = deploy(api, forms={name: content})
    assert refused.status_code == 422
    assert needle in refused.json["error"]["message"] or needle in str(refused.json["error"]["details"])
    assert refused.json["error"]["details"][0]["message_zh"]
    assert api("get", "/process-models/line_check/versions", "supervisor").status_code == 404


def test_validate_takes_the_same_bundle(api):
    checked = api("post", "/process-models/validate", "supervisor", data=bundle(), content_type="multipart/form-data")
    assert checked.json == {"valid": True, "problems": []}
    missing = api("post", "/process-models/validate", "supervisor", data=bundle(forms={}),
                  content_type="multipart/form-data")
    assert missing.json["valid"] is False and missing.json["problems"][0]["element_id"] == "work"


def test_a_version_answers_with_its_whole_bundle(api):
    deployed = deploy(api, diagram=RED_FAULT, dmn=[RED_FAULT_DMN], forms={})
    assert deployed.status_code == 201, deployed.json
    number = deployed.json["deployed"][0]["version"]
    version = api("get", f"/process-models/red_fault/versions/{number}", "supervisor").json
    assert version["dmn"] == [RED_FAULT_DMN.decode()]
    assert set(version["forms"]) >= {"red_fault.accept", "red_fault.repair"}


def test_the_command_line_refuses_a_form_file_that_is_not_json_naming_it(env, capsys):  # noqa: F811 - the fixture
    assert run.main(["demo"]) == 0
    diagram, form = env / "line_check.bpmn", env / "line_check.work.form.json"
    diagram.write_bytes(DIAGRAM)
    form.write_text('{\n  "title": "Check",\n  not json\n}', encoding="utf-8")
    assert run.main(["deploy", str(diagram), str(form)]) == 1
    err = capsys.readouterr().err
    assert "line_check.work.form.json: not valid JSON" in err and "line_check.work.form.json line 3, form:" in err


def test_the_command_line_deploys_forms_given_with_the_diagram(env, capsys):  # noqa: F811 - the fixture
    assert run.main(["demo"]) == 0
    diagram, form = env / "line_check.bpmn", env / "line_check.work.form.json"
    diagram.write_bytes(DIAGRAM)
    assert run.main(["deploy", str(diagram)]) == 1
    refused = capsys.readouterr().err
    assert "line_check.work" in refused and "line_check.bpmn line " in refused  # the problem names its file
    form.write_text(json.dumps(WORK_FORM, ensure_ascii=False), encoding="utf-8")
    assert run.main(["deploy", str(diagram), str(form)]) == 0
    assert "deployed line_check version 1" in capsys.readouterr().out


TRIAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="line_triage" name="Line triage" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_agent" name="agent">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>inspect</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>classify</bpmn:flowNodeRef><bpmn:flowNodeRef>route</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>close</bpmn:flowNodeRef><bpmn:flowNodeRef>closed</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_tech" name="tech">
        <bpmn:flowNodeRef>dispatch</bpmn:flowNodeRef><bpmn:flowNodeRef>dispatched</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="inspect"/>
    <bpmn:userTask id="inspect" name="Inspect the line">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="form" value="line_triage.inspect"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="inspect" targetRef="classify"/>
    <bpmn:businessRuleTask id="classify" name="Classify the urgency">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>line_urgency</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f3" sourceRef="classify" targetRef="route"/>
    <bpmn:exclusiveGateway id="route" name="Urgent?" default="to_close">
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>to_dispatch</bpmn:outgoing><bpmn:outgoing>to_close</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="to_dispatch" sourceRef="route" targetRef="dispatch">
      <bpmn:conditionExpression>urgency == "high"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="to_close" sourceRef="route" targetRef="close"/>
    <bpmn:userTask id="dispatch" name="Send a technician"><bpmn:incoming>to_dispatch</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="dispatch" targetRef="dispatched"/>
    <bpmn:endEvent id="dispatched"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="close" name="Tell the customer"><bpmn:incoming>to_close</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f5" sourceRef="close" targetRef="closed"/>
    <bpmn:endEvent id="closed"><bpmn:incoming>f5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
URGENCY = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="line_decisions" name="Line decisions"
             namespace="http://keydesk.example/dmn">
  <decision id="{decision}" name="Urgency">
    <decisionTable id="urgency_table" hitPolicy="UNIQUE">
      <input id="input_state" label="Line state">
        <inputExpression id="input_state_expr" typeRef="string"><text>{input}</text></inputExpression>
      </input>
      <output id="output_urgency" label="Urgency" name="urgency" typeRef="string" />
      <rule id="rule_down"><inputEntry id="rule_down_in"><text>"down"</text></inputEntry>
        <outputEntry id="rule_down_out"><text>"high"</text></outputEntry></rule>
      <rule id="rule_flapping"><inputEntry id="rule_flapping_in"><text>"flapping"</text></inputEntry>
        <outputEntry id="rule_flapping_out"><text>"high"</text></outputEntry></rule>
      <rule id="rule_up"><inputEntry id="rule_up_in"><text>"up"</text></inputEntry>
        <outputEntry id="rule_up_out"><text>"low"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""
INSPECT_FORM = {
    "type": "object", "title": "Inspect the line", "x-title-zh": "检查线路",
    "properties": {"line_state": {"type": "string", "title": "Line state", "x-title-zh": "线路状态",
                                  "enum": ["up", "down", "flapping"],
                                  "x-enum-labels": {"en": ["Up", "Down", "Flapping"],
                                                    "zh": ["正常", "中断", "时断时续"]}}},
    "required": ["line_state"], "additionalProperties": False,
}


def triage(api, forms: dict | None = None, decision: str = "line_urgency", expression: str = "line_state",
           endpoint: str = "/process-models", table: str = URGENCY):
    """Send the triage bundle (diagram, urgency table, inspection form) to deploy or validate."""
    forms = {"line_triage.inspect.form.json": INSPECT_FORM} if forms is None else forms
    table = table.replace("{decision}", decision).replace("{input}", expression).encode()
    data = bundle(TRIAGE, forms, [table], "triage")
    data["file"], data["dmn"] = (BytesIO(TRIAGE), "line_triage.bpmn"), [(BytesIO(table), "urgency.dmn")]
    return api("post", endpoint, "supervisor", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("state, next_task", [("down", "Send a technician"), ("up", "Tell the customer")])
def test_a_bundle_with_a_new_form_and_a_new_table_deploys_and_routes_on_the_value(api, state, next_task):
    deployed = triage(api)
    assert deployed.status_code == 201, deployed.json
    ticket = api("post", "/tickets", "agent", json={"process": "line_triage", "title": "No dial tone"}).json
    task, = ticket["tasks"]
    form = api("get", f"/tasks/{task['id']}", "agent").json["form"]
    assert form["properties"]["line_state"]["x-title-zh"] == "线路状态"
    wrong = api("post", f"/tasks/{task['id']}/complete", "agent", json={"data": {"line_state": "sideways"}})
    assert wrong.status_code == 422
    assert [d["field"] for d in wrong.json["error"]["details"]] == ["line_state"]
    done = api("post", f"/tasks/{task['id']}/complete", "agent", json={"data": {"line_state": state}})
    assert done.status_code == 200, done.json
    after = api("get", f"/tickets/{ticket['id']}", "supervisor").json
    assert [t["name"] for t in after["tasks"] if t["state"] != "completed"] == [next_task]


def only_problem(response) -> dict:
    assert response.status_code == 200 and response.json["valid"] is False
    problem, = response.json["problems"]
    assert problem["message"] and problem["hint"] and problem["message_zh"] and problem["hint_zh"]
    return problem


BROKEN_TYPE = {**INSPECT_FORM, "properties": {"line_state": {**INSPECT_FORM["properties"]["line_state"],
                                                             "type": "txt"}}}
NO_CHINESE = {**INSPECT_FORM, "properties": {"line_state": {
    k: v for k, v in INSPECT_FORM["properties"]["line_state"].items() if k != "x-title-zh"}}}
TWICE = {**INSPECT_FORM, "if": {"properties": {"line_state": {"const": "down"}}},
         "then": {"properties": {"line_state": {"type": "string", "title": "Again", "x-title-zh": "再次"}}}}


ORDER_AFTER_RENAME = {**INSPECT_FORM, "x-order": [["line_state", "checked_at"]]}
CONDITION_AFTER_RENAME = {**INSPECT_FORM, "allOf": [{"if": {"properties": {"line_status": {"const": "down"}}},
                                                     "then": {"required": ["line_state"]}}]}
REQUIRED_UNKNOWN = {**INSPECT_FORM, "required": ["line_state", "notes"]}
ORDER_NOT_PAIRS = {**INSPECT_FORM, "x-order": [["line_state"]]}


@pytest.mark.parametrize("form, code, field, at", [
    (BROKEN_TYPE, "form_schema", "line_state", '"type": "txt"'),
    ({**INSPECT_FORM, "x-title-zh": ""}, "form_title", None, '"x-title-zh": ""'),
    (NO_CHINESE, "form_title", "line_state", '"line_state": {'),
    (TWICE, "form_duplicate_field", "line_state", '"line_state": {'),
    (ORDER_AFTER_RENAME, "form_unknown_field", "checked_at", '"checked_at"'),
    (CONDITION_AFTER_RENAME, "form_unknown_field", "line_status", '"line_status": {'),
    (REQUIRED_UNKNOWN, "form_unknown_field", "notes", '"notes"'),
    (ORDER_NOT_PAIRS, "form_order", None, '"x-order": ['),
])
def test_a_form_that_is_not_valid_is_refused_naming_its_file_field_and_line(api, form, code, field, at):
    problem = only_problem(triage(api, {"line_triage.inspect.form.json": form}, endpoint="/process-models/validate"))
    assert (problem["code"], problem["element_id"], problem["file"]) == (code, field, "line_triage.inspect.form.json")
    assert problem["line"] == last_line_with(as_file(form), at)
    refused = triage(api, {"line_triage.inspect.form.json": form})
    assert refused.status_code == 422 and refused.json["error"]["details"] == [problem]
    assert api("get", "/process-models/line_triage/versions", "supervisor").status_code == 404


def test_a_form_problem_is_located_in_the_file_as_it_was_sent(api):
    sent = "\n\n" + json.dumps(CONDITION_AFTER_RENAME)  # all on line 3
    problem = only_problem(triage(api, {"line_triage.inspect.form.json": sent.encode()},
                                  endpoint="/process-models/validate"))
    assert (problem["element_id"], problem["line"]) == ("line_status", 3)
    assert "line_status" in problem["message_zh"] and "line_state" in problem["message"]


@pytest.mark.parametrize("content, line", [
    (b'{\n  "title": "Inspect",\n  "type": "object",\n  oops\n}', 4),
    ('{\n  "title": "Inspect",\n  "title": "Again"\n}', 3),
    (b'{\n  "title": "\xff"\n}', 2),
    (b"\n[1, 2]", 2),
    ('{\n"a":\n' + '{"a": ' * 100 + "1" + "}" * 101, 3),  # nested too deep for a form
])
def test_a_form_file_that_cannot_be_read_is_refused_at_its_line(content, line):
    with pytest.raises(InvalidInput) as refused:
        form_files.parse("line_triage.inspect.form.json", content)
    detail, = refused.value.details
    assert (detail["file"], detail["line"]) == ("line_triage.inspect.form.json", line)
    assert detail["message"] and detail["message_zh"] and detail["hint"] and detail["hint_zh"]


def test_a_field_written_twice_in_a_form_file_is_refused_naming_it():
    raw = json.dumps(INSPECT_FORM)[:-1] + ', "required": ["line_state"]}'
    with pytest.raises(InvalidInput) as refused:
        form_files.parse("line_triage.inspect.form.json", raw)
    detail, = refused.value.details
    assert (detail["file"], detail["element_id"]) == ("line_triage.inspect.form.json", "required")
    assert detail["message_zh"]


def test_a_task_naming_an_unknown_form_is_refused_in_the_diagram_file(api):
    problem = only_problem(triage(api, forms={}, endpoint="/process-models/validate"))
    assert (problem["code"], problem["element_id"], problem["file"]) == ("unknown_form", "inspect", "line_triage.bpmn")


def test_a_decision_input_the_sandbox_refuses_is_located_in_its_table(api):
    problems = triage(api, expression="__import__('os').getpid()", endpoint="/process-models/validate").json
    assert problems["valid"] is False
    assert {(p["code"], p["element_id"], p["file"]) for p in problems["problems"]} == {
        ("decision_code", "input_state_expr", "urgency.dmn")}
    assert problems["problems"][0]["line"] == URGENCY.splitlines().index(next(
        line for line in URGENCY.splitlines() if "input_state_expr" in line)) + 1


def test_a_decision_no_task_calls_is_refused_on_the_decision(api):
    problems = triage(api, decision="line_urgency_v2", endpoint="/process-models/validate").json["problems"]
    unused = [p for p in problems if p["code"] == "decision_unused"]
    assert [(p["element_id"], p["file"], p["line"]) for p in unused] == [("line_urgency_v2", "urgency.dmn", 4)]
    assert "line_urgency" in unused[0]["message"]


def test_a_condition_reading_a_variable_nothing_writes_is_refused_with_the_nearest_name(api):
    form = {**INSPECT_FORM, "properties": {"line_status": INSPECT_FORM["properties"]["line_state"]},
            "required": ["line_status"]}
    problem = only_problem(triage(api, {"line_triage.inspect.form.json": form}, endpoint="/process-models/validate"))
    assert (problem["code"], problem["element_id"], problem["file"]) == (
        "unwritten_close", "classify", "line_triage.bpmn")
    assert problem["hint"] == "did you mean `line_status`?"


def test_deleting_supervise_the_handling_from_the_complaint_flow_is_refused(api):
    root = without(diagrams.read_xml(YELLOW_COMPLAINT), "supervise_handling")
    sent = {"file": (BytesIO(etree.tostring(root)), "yellow_complaint.bpmn"), "comment": "no supervision"}
    refused = api("post", "/process-models", "supervisor", data=sent, content_type="multipart/form-data")
    assert refused.status_code == 422
    found = {(p["code"], p["element_id"], p["file"]) for p in refused.json["error"]["details"]}
    assert ("no_outgoing", "handle_business", "yellow_complaint.bpmn") in found
    assert api("get", "/process-models/yellow_complaint/versions", "supervisor").json["versions"][-1]["version"] == 1


CALLED = {"type": "boolean", "title": "Customer called", "x-title-zh": "已致电客户"}


def test_the_diff_shows_form_fields_and_table_rows_that_changed(api):
    assert triage(api).status_code == 201
    form = {**INSPECT_FORM, "properties": {**INSPECT_FORM["properties"], "called": CALLED},
            "required": ["line_state", "called"]}
    table = URGENCY.replace('<outputEntry id="rule_flapping_out"><text>"high"',
                            '<outputEntry id="rule_flapping_out"><text>"low"')
    assert triage(api, {"line_triage.inspect.form.json": form}, table=table).status_code == 201
    diff = api("get", "/process-models/line_triage/diff?from=1&to=2", "supervisor").json
    assert diff["forms"] == [{"key": "line_triage.inspect", "change": "changed", "fields_added": ["called"],
                              "fields_removed": [], "fields_changed": [], "form_changed": []}]
    assert diff["decisions"] == [{"id": "line_urgency", "change": "changed", "rules_added": [], "rules_removed": [],
                                  "rules_changed": [{"id": "rule_flapping",
                                                     "from": {"inputs": ['"flapping"'], "outputs": ['"high"']},
                                                     "to": {"inputs": ['"flapping"'], "outputs": ['"low"']}}],
                                  "columns_changed": []}]
    assert diff["changed"] == [] and diff["added"] == [] and diff["removed"] == []


def test_the_shipped_forms_and_tables_pass_the_bundle_check():
    assert bundle_check.form_problems(form_files.shipped()) == []
    shipped_diagrams, tables = ([contents.Read(path.name, path.read_bytes(), diagrams.read_xml(path.read_bytes()))
                                 for path in sorted(BPMN_DIR.glob(pattern))] for pattern in ("*.bpmn", "*.dmn"))
    assert bundle_check.unused_decisions(shipped_diagrams, tables) == []
    assert bundle_check.decisions_twice(tables) == []
