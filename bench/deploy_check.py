"""How the structure and data-flow checks grow with the size of a diagram (they should grow linearly).

The diagram is a chain of N steps, each a user task with a one-field form followed by an exclusive gateway whose
condition reads that field and whose second branch loops back to the task: about 6 elements per step. Each check
runs on N and on 4N steps, in this process, and the script prints the milliseconds and the ratio of the two
times: about 4 means linear time, 16 quadratic. Run: ``.venv/bin/python bench/deploy_check.py [--steps N]``.
"""

import common  # noqa: F401  (first: it puts the project root on the import path)  # isort: skip

import argparse  # noqa: E402
import time  # noqa: E402

from engine import diagrams  # noqa: E402
from engine.checks import dataflow, structure  # noqa: E402

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://x">
<bpmn:process id="chain" name="Chain" isExecutable="true">
<bpmn:startEvent id="start"/><bpmn:sequenceFlow id="in_0" sourceRef="start" targetRef="task_0"/>
"""
STEP = """<bpmn:userTask id="task_{n}" name="Step {n}"><bpmn:extensionElements><spiffworkflow:properties>
<spiffworkflow:property name="form" value="chain.{n}"/></spiffworkflow:properties></bpmn:extensionElements>
</bpmn:userTask>
<bpmn:sequenceFlow id="to_gate_{n}" sourceRef="task_{n}" targetRef="gate_{n}"/>
<bpmn:exclusiveGateway id="gate_{n}" default="in_{next}"/>
<bpmn:sequenceFlow id="again_{n}" sourceRef="gate_{n}" targetRef="task_{n}">
<bpmn:conditionExpression>not done_{n}</bpmn:conditionExpression></bpmn:sequenceFlow>
<bpmn:sequenceFlow id="in_{next}" sourceRef="gate_{n}" targetRef="{target}"/>
"""


def diagram(steps: int) -> tuple[bytes, dict]:
    body = [STEP.format(n=n, next=n + 1, target=f"task_{n + 1}" if n + 1 < steps else "end") for n in range(steps)]
    xml = HEAD + "".join(body) + '<bpmn:endEvent id="end"/></bpmn:process></bpmn:definitions>'
    forms = {f"chain.{n}": {"type": "object", "properties": {f"done_{n}": {"type": "boolean"}}} for n in range(steps)}
    return xml.encode(), forms


def timed(check, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        found = check()
        best = min(best, time.perf_counter() - started)
        assert found == [], found[:3]  # the chain is sound: a problem means the benchmark measures the wrong thing
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="steps of the small diagram (the large has 4x)")
    steps = parser.parse_args().steps
    print(f"{'check':<12}{'steps':>8}{'elements':>10}{'ms (best of 5)':>16}")
    results = {}
    for size in (steps, 4 * steps):
        xml, forms = diagram(size)
        root = diagrams.read_xml(xml)
        elements = sum(1 for node in root.iter() if node.get("id"))
        for name, check in (("structure", lambda r=root: structure.problems(r)),
                            ("data flow", lambda r=root, f=forms: dataflow.problems(r, [], f))):
            results[name, size] = timed(check)
            print(f"{name:<12}{size:>8}{elements:>10}{results[name, size]:>16.2f}")
    for name in ("structure", "data flow"):
        print(f"{name}: 4x the steps took {results[name, 4 * steps] / results[name, steps]:.1f}x the time "
              "(4 = linear, 16 = quadratic)")


if __name__ == "__main__":
    main()
