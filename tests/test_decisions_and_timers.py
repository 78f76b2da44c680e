"""Decision tables and timer values: deployed with their diagram, checked by the sandbox, run by the engine."""

import json
from io import BytesIO

import pytest

from engine import deployments, runtime, tickets
from engine.directory import users
from engine.errors import InvalidDiagram
from tests.bpmn_samples import DECISION_STEP, TIMER_STEP, simple

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="levels" name="Levels"
    namespace="http://keydesk.example/dmn">
  <decision id="fault_level" name="Fault level">
    <decisionTable id="table">
      <input id="tier" label="Customer tier">
        <inputExpression id="tier_expr" typeRef="string"><text>tier</text></inputExpression>
      </input>
      <output id="level" label="Level" name="level" typeRef="integer"/>
      <rule id="top_tier">
        <inputEntry id="top_tier_test"><text>"A+"</text></inputEntry>
        <outputEntry id="top_tier_level"><text>{level}</text></outputEntry>
      </rule>
      <rule id="any_other">
        <inputEntry id="any_other_test"><text>-</text></inputEntry>
        <outputEntry id="any_other_level"><text>2</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""
WITH_DECISION = simple(key="classified", step=DECISION_STEP.replace("{decision}", "fault_level"),
                       start_props={"form": "classified.start"})
TIER_FORM = {"classified.start": {  # what the table reads
    "type": "object", "title": "Customer", "x-title-zh": "客户",
    "properties": {"tier": {"type": "string", "title": "Tier", "x-title-zh": "客户等级"}}}}


def dmn(level: str = "1") -> bytes:
    return DMN.replace("{level}", level).encode()


def start(process: str, **data):
    return tickets.start_ticket(users.by_username("agent"), process, "test", data=data)


@pytest.mark.parametrize("tier, level", [("A+", 1), ("B", 2)])
def test_a_decision_table_deployed_with_its_diagram_decides(app, tier, level):
    deployments.deploy(users.by_username("supervisor"), WITH_DECISION, [dmn()], forms=TIER_FORM)
    workflow = runtime.new_workflow(deployments.latest_version("classified"))
    workflow.task_tree.data.update({"tier": tier})
    runtime.advance(workflow)
    assert runtime.ready_human_tasks(workflow)[0].data["level"] == level


def test_a_decision_cell_that_reaches_for_the_host_is_refused_at_deploy(app):
    with pytest.raises(InvalidDiagram) as caught:
        deployments.deploy(users.by_username("supervisor"), WITH_DECISION, [dmn("__import__('os').getpid()")],
                           forms=TIER_FORM)
    problem, = caught.value.details
    assert problem["element_id"] == "top_tier_level"
    assert "'__import__' is not allowed" in problem["message"]
    cell_line = next(n for n, line in enumerate(DMN.splitlines(), 1) if 'id="top_tier_level"' in line)
    assert problem["line"] == cell_line


def test_a_diagram_without_its_decision_table_is_refused(app):
    with pytest.raises(InvalidDiagram) as caught:
        deployments.deploy(users.by_username("supervisor"), WITH_DECISION, forms=TIER_FORM)
    assert caught.value.details[0]["element_id"] == "step"
    assert "fault_level" in caught.value.details[0]["message"]


def test_deploy_with_a_decision_table_over_http(api):
    response = api("post", "/process-models", "supervisor", content_type="multipart/form-data",
                   data={"file": (BytesIO(WITH_DECISION), "classified.bpmn"), "comment": "levels",
                         "dmn": [(BytesIO(dmn()), "levels.dmn")],
                         "form": [(BytesIO(json.dumps(TIER_FORM["classified.start"]).encode()),
                                   "classified.start.form.json")]})
    assert response.status_code == 201, response.json
    assert response.json["deployed"][0]["key"] == "classified"


@pytest.mark.parametrize("duration", ["PT10M", "'PT10M'", "&quot;P1D&quot;"])
def test_a_timer_written_bare_or_quoted_starts_waiting(app, duration):
    deployments.deploy(users.by_username("supervisor"), simple(key="waits", step=TIMER_STEP.replace(
        "{duration}", duration)))
    ticket = start("waits")
    assert ticket.status == "open" and ticket.tasks == []  # waiting on the timer, not failed
    waiting = runtime.load(ticket).waiting_events()
    assert [event.event_type for event in waiting] == ["DurationTimerEventDefinition"]
