"""Small BPMN documents for tests, built from a template so that each test shows only what it varies."""

from pathlib import Path
from xml.sax.saxutils import escape

RED_FAULT = (Path(__file__).resolve().parent.parent / "bpmn" / "red_fault.bpmn").read_bytes()

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
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>
    {step}
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="work"/>
    <bpmn:userTask id="work" name="Do the work"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
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


def simple(key: str = "simple", channel: str = "yellow", role: str = "agent", script: str = "x = 1",
           step: str | None = None) -> bytes:
    """start → step (a script task unless given) → user task (in the role's lane) → end."""
    step = step or SCRIPT_STEP.replace("{script}", escape(script))
    values = {"{key}": key, "{channel}": channel, "{role}": role, "{step}": step}
    text = TEMPLATE
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text.encode()
