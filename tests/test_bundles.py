"""A deployment is a bundle: the diagram with its decision tables and its forms (``<form key>.form.json`` files),
over the API and the command line; a version keeps the forms it was deployed with."""

import json
from io import BytesIO

import pytest

import run
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from tests.test_cli import env  # noqa: F401 - the command line's fixture

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
            "form": [(BytesIO(content if isinstance(content, bytes) else json.dumps(content).encode()), name)
                     for name, content in forms.items()]}


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


def test_the_command_line_deploys_forms_given_with_the_diagram(env, capsys):  # noqa: F811 - the fixture
    assert run.main(["demo"]) == 0
    diagram, form = env / "line_check.bpmn", env / "line_check.work.form.json"
    diagram.write_bytes(DIAGRAM)
    assert run.main(["deploy", str(diagram)]) == 1
    assert "line_check.work" in capsys.readouterr().err
    form.write_text(json.dumps(WORK_FORM, ensure_ascii=False), encoding="utf-8")
    assert run.main(["deploy", str(diagram), str(form)]) == 0
    assert "deployed line_check version 1" in capsys.readouterr().out
