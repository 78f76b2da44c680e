"""Small BPMN documents for tests, built from a template so that each test shows only what it varies."""

import re
from pathlib import Path
from xml.sax.saxutils import escape

RED_FAULT = (Path(__file__).resolve().parent.parent / "bpmn" / "red_fault.bpmn").read_bytes()
RED_FAULT_DMN = (Path(__file__).resolve().parent.parent / "bpmn" / "red_fault.dmn").read_bytes()

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="{key}" name="Test process" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="{channel}"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_1" name="{role}">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>work</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start">{start_props}<bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>
    {step}
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="work"/>
    <bpmn:userTask id="work" name="Do the work">{work_props}<bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


SCRIPT_STEP = """<bpmn:scriptTask id="step" name="Compute">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>"""
TIMER_STEP = """<bpmn:intermediateCatchEvent id="step" name="Wait">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>{duration}</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>"""
DECISION_STEP = """<bpmn:businessRuleTask id="step" name="Classify">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>"""


def _fill(template: str, values: dict[str, str]) -> bytes:
    """The template with each placeholder replaced (str.format would trip over the braces in scripts)."""
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template.encode()


def properties(props: dict[str, str]) -> str:
    """spiffworkflow:properties for an element."""
    items = "".join(f'<spiffworkflow:property name="{k}" value="{escape(v)}"/>' for k, v in props.items())
    return ("<bpmn:extensionElements><spiffworkflow:properties>"
            f"{items}</spiffworkflow:properties></bpmn:extensionElements>")


def simple(key: str = "simple", channel: str = "yellow", role: str = "agent", script: str = "x = 1",
           step: str | None = None, work_props: dict[str, str] | None = None,
           start_props: dict[str, str] | None = None) -> bytes:
    """start (with a start form if ``start_props`` name one) → step (a script task unless given) → user task 'work'
    (in the role's lane) → end."""
    step = step or SCRIPT_STEP.replace("{script}", escape(script))
    return _fill(TEMPLATE, {"{key}": key, "{channel}": channel, "{role}": role, "{step}": step,
                            "{work_props}": properties(work_props) if work_props else "",
                            "{start_props}": properties(start_props) if start_props else ""})


BOUNDARY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="guarded" name="Guarded work" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="red"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_agent" name="agent">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>work</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef><bpmn:flowNodeRef>reminder</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_supervisor" name="supervisor">
        <bpmn:flowNodeRef>chase</bpmn:flowNodeRef><bpmn:flowNodeRef>chased</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing>{start_timer}</bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    {work}
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:boundaryEvent id="reminder" name="Too long" attachedToRef="work" cancelActivity="{interrupting}">
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT30M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="reminder" targetRef="chase"/>
    <bpmn:userTask id="chase" name="Chase the work"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="chase" targetRef="chased"/>
    <bpmn:endEvent id="chased"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
WORK_TASK = """<bpmn:userTask id="work" name="Do the work"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>"""
WORK_SUBPROCESS = """<bpmn:subProcess id="work" name="Do the work"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="inner_start"><bpmn:outgoing>i1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:sequenceFlow id="i1" sourceRef="inner_start" targetRef="inner_work"/>
      <bpmn:userTask id="inner_work" name="Inner work"><bpmn:incoming>i1</bpmn:incoming>
        <bpmn:outgoing>i2</bpmn:outgoing></bpmn:userTask>
      <bpmn:sequenceFlow id="i2" sourceRef="inner_work" targetRef="inner_end"/>
      <bpmn:endEvent id="inner_end"><bpmn:incoming>i2</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>"""


def guarded(interrupting: bool = True, subprocess: bool = False, start_cycle: str | None = None) -> bytes:
    """start → 'work' (a user task or a subprocess) with a PT30M boundary timer leading to 'chase' (supervisor)."""
    start_timer = (f"<bpmn:timerEventDefinition><bpmn:timeCycle>{start_cycle}</bpmn:timeCycle>"
                   "</bpmn:timerEventDefinition>") if start_cycle else ""
    return _fill(BOUNDARY, {"{start_timer}": start_timer, "{work}": WORK_SUBPROCESS if subprocess else WORK_TASK,
                            "{interrupting}": "true" if interrupting else "false"})


def service_step(operation: str, params: dict[str, str]) -> str:
    """A service task 'step' calling a KeyDesk handler with parameters (Python expressions)."""
    items = "".join(f'<spiffworkflow:parameter id="{k}" type="str" value="{escape(v, {chr(34): "&quot;"})}"/>'
                    for k, v in params.items())
    return f"""<bpmn:serviceTask id="step" name="Notify">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="{operation}" resultVariable="sent">
        <spiffworkflow:parameters>{items}</spiffworkflow:parameters>
      </spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>"""


ONE_LANE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="{key}" name="{key}" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="agent">{refs}</bpmn:lane></bpmn:laneSet>
    {elements}
  </bpmn:process>
</bpmn:definitions>
"""


def one_lane(key: str, elements: str) -> bytes:
    """A yellow process whose elements (every one with an id) all stand in the agent's lane."""
    refs = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>"
                   for node in re.findall(r'<bpmn:(?!sequenceFlow)\w+ id="(\w+)"', elements))
    return _fill(ONE_LANE, {"{key}": key, "{refs}": refs, "{elements}": elements})
