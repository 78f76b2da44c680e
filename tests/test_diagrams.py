"""Deploy-time checks: every problem is reported with its element and line, and nothing else gets through."""

import pytest

from engine import diagrams
from engine.forms import files as form_files
from tests.bpmn_samples import RED_FAULT, RED_FAULT_DMN, simple
from workflows import HANDLERS

FORMS = form_files.shipped()


def check(xml: bytes | str) -> list[diagrams.Problem]:
    """The deploy check with the desk's forms, handlers and the red fault decision table."""
    return diagrams.check(xml, [RED_FAULT_DMN], forms=FORMS, handlers=HANDLERS)


def test_the_shipped_red_fault_diagram_is_valid():
    assert check(RED_FAULT) == []


def test_a_simple_valid_diagram_passes():
    assert check(simple()) == []


@pytest.mark.parametrize("xml, needle", [
    (b"<bpmn:definitions", "not well-formed XML"),
    ("<?xml version='1.0' encoding='ISO-8859-1'?><a>caf\u00e9</a>".encode("latin-1"), "not UTF-8"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><a>&lol;</a>', "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><a/>', "DOCTYPE"),
    (b"<a>" + b" " * (diagrams.MAX_BYTES + 1) + b"</a>", "larger than"),
])
def test_unsafe_or_broken_xml_is_refused_with_a_clear_message(xml, needle):
    problems = check(xml)
    assert len(problems) == 1
    assert needle in problems[0].message


def test_a_syntax_error_names_its_line():
    problem, = check(b'<?xml version="1.0"?>\n<a>\n<b>\n</a>')
    assert problem.line == 4


def test_schema_violations_are_located():
    xml = simple().replace(b'<bpmn:endEvent id="end">', b'<bpmn:endEvent id="end" bogus="1">')
    problems = check(xml)
    assert problems and all(p.message.startswith("not valid BPMN") for p in problems)
    assert problems[0].element_id == "end"
    assert problems[0].line == xml.decode().splitlines().index(
        next(line for line in xml.decode().splitlines() if 'bogus="1"' in line)) + 1


def test_a_lane_must_be_a_role():
    problem, = check(simple(role="Helpdesk"))
    assert problem.element_id == "lane_1"
    assert "not a KeyDesk role" in problem.message


def test_the_process_needs_a_channel():
    problem, = check(simple(channel="purple"))
    assert problem.element_id == "simple"
    assert "channel" in problem.message


def test_a_user_task_outside_every_lane_is_refused():
    xml = simple().replace(b"<bpmn:flowNodeRef>work</bpmn:flowNodeRef>", b"")
    problem, = check(xml)
    assert problem.element_id == "work"
    assert "in no lane" in problem.message


def test_unknown_forms_and_bad_sla_values_are_named():
    props = (b'<bpmn:extensionElements><spiffworkflow:properties>'
             b'<spiffworkflow:property name="form" value="nope.form"/>'
             b'<spiffworkflow:property name="sla.resolution" value="4 hours"/>'
             b'</spiffworkflow:properties></bpmn:extensionElements>')
    xml = simple().replace(b'name="Do the work">', b'name="Do the work">' + props)
    messages = sorted(p.message for p in check(xml))
    assert [p.element_id for p in check(xml)] == ["work", "work"]
    assert "unknown form 'nope.form'" in messages[1]
    assert "sla.resolution must be an ISO 8601 duration" in messages[0]


def test_every_exclusive_flow_needs_a_condition_or_the_default():
    text = RED_FAULT.decode()
    start = text.index('<bpmn:sequenceFlow id="flow_restored_no"')
    end = text.index("</bpmn:sequenceFlow>", start)
    flow = text[start:end]
    broken = text.replace(flow, flow[:flow.index(">") + 1])  # drop the condition
    problem, = check(broken.encode())
    assert problem.element_id == "flow_restored_no"
    assert "has an outgoing flow without a condition" in problem.message
    assert problem.hint == "add a condition or make it the default flow"
    assert "没有条件" in problem.message_zh and "默认连线" in problem.hint_zh
    assert problem.line == broken[:start].count("\n") + 1


@pytest.mark.parametrize("script", [
    "import os",
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = '{0.__class__}'.format(1)",
    "while True:\n    pass",
])
def test_scripts_that_reach_for_the_host_are_refused_at_their_element(script):
    xml = simple(script=script)
    problems = check(xml)
    assert problems, script
    assert {p.element_id for p in problems} == {"step"}
    script_line = xml.decode().splitlines().index(
        next(line for line in xml.decode().splitlines() if "<bpmn:script>" in line)) + 1
    assert all(p.line >= script_line for p in problems)


def test_a_condition_that_reaches_for_the_host_is_refused_at_its_flow():
    xml = RED_FAULT.replace(b">restored<", b">__import__('os').system('id') or restored<")
    problems = check(xml)
    assert [p.element_id for p in problems] == ["flow_restored_yes", "flow_restored_l2_yes"]


@pytest.mark.parametrize("value", ["PT10M", "'PT10M'", "P1D", "R3/PT1H", "2026-12-01T09:00:00+08:00"])
def test_timer_values_are_accepted_bare_or_quoted(value):
    import ast

    from lxml import etree

    root = etree.fromstring(
        f'<d xmlns:bpmn="{diagrams.NS["bpmn"]}"><bpmn:timerEventDefinition>'
        f"<bpmn:timeDuration>{value}</bpmn:timeDuration></bpmn:timerEventDefinition></d>")
    diagrams.quote_bare_timers(root)
    text = root.find(".//bpmn:timeDuration", diagrams.NS).text
    assert ast.literal_eval(text) == value.strip("'")  # a Python string literal SpiffWorkflow can evaluate
