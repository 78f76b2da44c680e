"""The deploy check's structure and data-flow parts: a diagram that strands a ticket or reads a variable nothing
writes is refused on the element, with a hint; the seven shipped processes pass both."""

from pathlib import Path

import pytest
from lxml import etree

import workflows
from engine import diagrams
from engine.checks import dataflow, structure
from engine.diagrams import NS
from engine.forms import files
from tests.bpmn_samples import simple

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
SHIPPED = sorted(BPMN_DIR.glob("*.bpmn"))
TABLES = [diagrams.read_xml(p.read_bytes()) for p in sorted(BPMN_DIR.glob("*.dmn"))]
FORMS = files.shipped()


def tree(name: str) -> etree._Element:
    return diagrams.read_xml((BPMN_DIR / name).read_bytes())


def flow_problems(root: etree._Element, tables: list = TABLES) -> list:
    return dataflow.problems(root, tables, FORMS, [tree(p.name) for p in SHIPPED], workflows.OUTPUTS)


def without(root: etree._Element, element_id: str) -> etree._Element:
    """The diagram after deleting an element in the modeller: its flows, its lane entry and its shapes go too."""
    flows = root.xpath("//bpmn:sequenceFlow[@sourceRef=$id or @targetRef=$id]", namespaces=NS, id=element_id)
    gone = {element_id, *(f.get("id") for f in flows)}
    for node in list(root.iter()):
        refers = (node.text or "").strip() in gone and etree.QName(node).localname in (
            "incoming", "outgoing", "flowNodeRef")
        if node.get("id") in gone or node.get("bpmnElement") in gone or refers:
            node.getparent().remove(node)
    return root


def codes(problems) -> set[tuple[str, str]]:
    return {(p.code, p.element_id) for p in problems}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_shipped_processes_pass_the_structure_and_data_flow_checks(path):
    root = tree(path.name)
    assert structure.problems(root) == [] and structure.too_big(root) == [] and structure.name_problems(root) == []
    assert flow_problems(root) == []


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_each_shipped_process_is_really_checked_a_misspelt_condition_is_caught(path):
    root = tree(path.name)
    node = next(root.iterfind(".//bpmn:conditionExpression", NS), None)
    if node is None:  # no gateway: a service parameter reads instead
        node = next(root.iterfind(".//spiffworkflow:parameter", NS))
        name = sorted(dataflow.names_used(node.get("value"), "eval")[0])[0]
        node.set("value", f"{name}_x")
    else:
        name = sorted(dataflow.names_used(node.text, "eval")[0])[0]
        node.text = f"{name}_x"
    problem, = flow_problems(root)
    assert problem.code == "unwritten_close" and problem.hint == f"did you mean `{name}`?"
    assert problem.line == node.sourceline


def test_an_unwritten_variable_is_reported_on_the_element_that_reads_it_with_the_nearest_name():
    root = tree("red_fault.bpmn")
    flow = root.xpath("//bpmn:sequenceFlow[bpmn:conditionExpression='restored']", namespaces=NS)[0]
    flow.find("bpmn:conditionExpression", NS).text = "restord"
    problem, = flow_problems(root)
    assert (problem.element_id, problem.code) == (flow.get("id"), "unwritten_close")
    assert "restord" in problem.message and "restord" in problem.message_zh
    assert problem.hint == "did you mean `restored`?" and "restored" in problem.hint_zh


def test_a_variable_unlike_any_written_one_gets_the_general_hint():
    root = tree("red_fault.bpmn")
    root.find(".//bpmn:conditionExpression", NS).text = "zebra_crossing > 2"
    problem, = flow_problems(root)
    assert problem.code == "unwritten" and "form field" in problem.hint and problem.hint_zh


def test_a_key_the_service_result_does_not_hold_is_reported_with_the_nearest_declared_one():
    table = (BPMN_DIR / "yellow_dunning.dmn").read_text(encoding="utf-8").replace("customer['tier']",
                                                                                 "customer['tire']")
    assert "customer['tire']" in table
    problem, = flow_problems(tree("yellow_dunning.bpmn"), [diagrams.read_xml(table)])
    assert problem.code == "undeclared_output" and "customer[\"tire\"]" in problem.message
    assert problem.element_id == tree("yellow_dunning.bpmn").find(".//bpmn:businessRuleTask", NS).get("id")
    assert "`tier`" in problem.hint and "tenure_years" in problem.message and problem.message_zh


@pytest.mark.parametrize("source, mode, reads, writes", [
    ("[p for p, ok in zip(proposals, decisions) if ok and p[key]]", "eval", {"proposals", "decisions", "key"}, set()),
    ("f'{contract_no} ends {end}' + str(len(items))", "eval", {"contract_no", "end", "items"}, set()),
    ("{k: v for k, v in pairs.items()}", "eval", {"pairs"}, set()),
    ("total = sum(a['cost'] for a in attempts)\nlate = total > limit", "exec", {"attempts", "total", "limit"},
     {"total", "late"}),
    ("due = datetime.now() + timedelta(days=days) if True else None", "exec", {"days"}, {"due"}),
    ("not valid python (", "eval", set(), set()),
])
def test_names_read_leave_out_comprehension_variables_and_the_sandbox_functions(source, mode, reads, writes):
    assert dataflow.names_used(source, mode) == (reads, writes)


def test_deleting_supervise_the_handling_leaves_the_department_steps_with_nowhere_to_go():
    found = codes(structure.problems(without(tree("yellow_complaint.bpmn"), "supervise_handling")))
    assert {("no_outgoing", "handle_business"), ("no_outgoing", "handle_billing")} <= found
    assert ("unreachable", "verdict_gateway") in found


def test_an_element_no_start_reaches_and_a_loop_with_no_way_out_are_reported():
    root = diagrams.read_xml(simple())  # start -> step -> work -> end
    root.xpath("//bpmn:sequenceFlow[@id='f3']", namespaces=NS)[0].set("targetRef", "step")  # work loops back
    process = root.find("bpmn:process", NS)
    orphan = etree.SubElement(process, f"{{{NS['bpmn']}}}task", id="orphan", name="Orphan")
    etree.SubElement(orphan, f"{{{NS['bpmn']}}}outgoing").text = "orphan_flow"
    etree.SubElement(process, f"{{{NS['bpmn']}}}sequenceFlow", id="orphan_flow", sourceRef="orphan", targetRef="end")
    found = structure.problems(root)
    assert codes(found) == {("unreachable", "orphan"), ("unreachable", "end"), ("never_ends", "start")}
    never, = [p for p in found if p.code == "never_ends"]
    assert "no path reaches an end" in never.message and never.message_zh and never.line


def test_the_tasks_of_an_ad_hoc_subprocess_need_no_flows_but_a_normal_subprocess_checks_its_inside():
    inside = '<bpmn:task id="a" name="A"/><bpmn:task id="b" name="B"/>'
    flows = "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
    step = f'<bpmn:{{kind}} id="step">{flows}{inside}</bpmn:{{kind}}>'
    assert structure.problems(diagrams.read_xml(simple(step=step.format(kind="adHocSubProcess")))) == []
    found = codes(structure.problems(diagrams.read_xml(simple(step=step.format(kind="subProcess")))))
    assert found == {("no_outgoing", "a"), ("no_outgoing", "b")}


def test_a_gateway_with_one_flow_in_and_one_out_decides_nothing():
    root = tree("red_fault.bpmn")
    gateway = root.find(".//bpmn:exclusiveGateway", NS)
    outgoing = root.xpath("//bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NS, id=gateway.get("id"))
    for flow in outgoing[1:]:
        flow.set("sourceRef", "elsewhere")
    found = structure.problems(root)
    assert ("useless_gateway", gateway.get("id")) in codes(found)


def test_a_diagram_over_the_element_cap_is_refused_on_its_process():
    root = tree("red_fault.bpmn")
    process = root.find("bpmn:process", NS)
    for n in range(structure.MAX_ELEMENTS):
        etree.SubElement(process, f"{{{NS['bpmn']}}}textAnnotation", id=f"note_{n}")
    problem, = structure.too_big(root)
    assert (problem.code, problem.element_id) == ("too_many_elements", "red_fault") and problem.line


def test_a_process_name_over_255_characters_is_refused():
    root = tree("red_fault.bpmn")
    root.find("bpmn:process", NS).set("name", "x" * 256)
    problem, = structure.name_problems(root)
    assert problem.element_id == "red_fault" and "256" in problem.message and problem.message_zh
    root.find("bpmn:process", NS).set("name", "x" * 255)
    assert structure.name_problems(root) == []
