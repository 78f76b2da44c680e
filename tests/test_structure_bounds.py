"""Values that shape a workflow are bounded: multi-instance counts, timer cycles and durations, SLA targets,
and the diagram code one engine step may run. Written in the diagram, they are refused at deploy with their
element and line; computed, they fail the step with a located error and change nothing."""

from datetime import UTC, datetime
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine import deployments, sla, sla_config, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidDiagram, InvalidInput, ProcessError
from engine.models import Ticket
from tests.bpmn_samples import TIMER_STEP, one_lane, simple

MULTI_STEP = """<bpmn:scriptTask id="step" name="Each">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>{cardinality}</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>y = 1</bpmn:script>
    </bpmn:scriptTask>"""
SPIN = """<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="busy"/>
    <bpmn:scriptTask id="busy"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>back</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>total = 0
for i in range(90000):
    total = total + i</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="busy" targetRef="again"/>
    <bpmn:exclusiveGateway id="again" default="out"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>back</bpmn:outgoing><bpmn:outgoing>out</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="back" sourceRef="again" targetRef="busy">
      <bpmn:conditionExpression>total &gt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="out" sourceRef="again" targetRef="work"/>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>out</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>"""


def deploy(xml: bytes) -> None:
    deployments.deploy(users.by_username("supervisor"), xml)


def refused_at_deploy(xml: bytes) -> dict:
    with pytest.raises(InvalidDiagram) as raised:
        deploy(xml)
    problem, = raised.value.details
    return problem


def failed_start(process: str, **data) -> dict:
    with pytest.raises(ProcessError) as raised:
        tickets.start_ticket(users.by_username("agent"), process, "bounded", data=data)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    return raised.value.details


def timer(value: str, kind: str = "timeDuration") -> bytes:
    return simple(key="waits", step=TIMER_STEP.replace("{duration}", escape(value)).replace("timeDuration", kind))


def test_a_written_cardinality_over_the_limit_is_refused_at_deploy(app):
    problem = refused_at_deploy(simple(key="many", step=MULTI_STEP.replace("{cardinality}", "1000000")))

    assert problem["element_id"] == "step"
    assert problem["code"] == "cardinality_bound"
    assert "from 0 to 1,000, not 1000000" in problem["message"]
    assert "1,000" in problem["message_zh"] and problem["line"]


def test_a_computed_cardinality_over_the_limit_fails_the_step(app):
    deploy(simple(key="many", step=MULTI_STEP.replace("{cardinality}", "10 ** 6")))

    details = failed_start("many")

    assert details["element_id"] == "step"
    assert "from 0 to 1,000, not 1000000" in details["message"]
    assert "多实例数量" in details["message_zh"]


def test_a_cardinality_within_the_limit_runs(app):
    deploy(simple(key="many", step=MULTI_STEP.replace("{cardinality}", "3")))

    assert tickets.start_ticket(users.by_username("agent"), "many", "three").status == "open"


@pytest.mark.parametrize(("value", "kind", "message"), [
    ("R/PT0S", "timeCycle", "repeats every 0 s"),
    ("R/PT1S", "timeCycle", "repeats every 1 s"),
    ("R3/PT30S", "timeCycle", "repeats every 30 s"),
    ("P99999999Y", "timeDuration", "the duration P99999999Y is longer than 10 years"),
])
def test_a_written_timer_out_of_bounds_is_refused_at_deploy(app, value, kind, message):
    problem = refused_at_deploy(timer(value, kind))

    assert problem["element_id"] == "step"
    assert problem["code"] == "timer_bound"
    assert message in problem["message"]
    assert problem["message_zh"] and problem["line"]


@pytest.mark.parametrize(("value", "kind"), [("'R/PT' + '0S'", "timeCycle"), ("'P' + '99999999Y'", "timeDuration")])
def test_a_computed_timer_out_of_bounds_fails_the_step(app, value, kind):
    deploy(timer(value, kind))

    details = failed_start("waits")

    assert details["element_id"] == "step"
    assert "once a minute" in details["message"] or "longer than 10 years" in details["message"]
    assert "定时器周期" in details["message_zh"] or "超过 10 年" in details["message_zh"]


@pytest.mark.parametrize("value", ["PT1M", "R2/PT1H", "P10Y"])
def test_timers_within_the_bounds_are_deployed(app, value):
    deploy(timer(value, "timeCycle" if value.startswith("R") else "timeDuration"))


def test_an_sla_target_over_ten_years_is_refused_at_deploy(app):
    problem = refused_at_deploy(simple(key="slow", work_props={"sla.resolution": "P99999999Y"}))

    assert problem["element_id"] == "work"
    assert problem["code"] == "sla_duration_bound"
    assert problem["message"] == "sla.resolution: the duration P99999999Y is longer than 10 years"


def test_an_sla_policy_over_ten_years_is_refused(app):
    with pytest.raises(InvalidInput) as raised:
        sla_config.save_policy(users.by_username("admin"), {"name": "slow", "resolution": "P99999999Y"})

    [problem] = raised.value.details
    assert problem["field"] == "resolution" and "longer than 10 years" in problem["message"]
    assert "超过 10 年" in problem["message_zh"]


def test_an_sla_target_over_ten_years_from_elsewhere_is_refused_before_it_is_computed():
    with pytest.raises(ProcessError, match="longer than 10 years") as raised:
        sla.duration("P99999999Y", datetime(2026, 1, 1, tzinfo=UTC))

    assert "超过 10 年" in raised.value.details["message_zh"]


def test_one_engine_step_has_a_budget_for_diagram_code(app, monkeypatch):
    monkeypatch.setenv("KEYDESK_STEP_SECONDS", "1")
    deploy(one_lane("spin", SPIN))

    details = failed_start("spin")

    assert details["element_id"] in ("busy", "again")
    assert "step budget exceeded: one engine step may run diagram code for 1 s" in details["message"]
    assert "超出单步预算" in details["message_zh"]
