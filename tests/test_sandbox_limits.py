"""The hard limits of the evaluator processes: the attacks of issue 19, in every place diagram code runs.

Each attack passes the static rules and the run-time guards (one C call they do not see); the
evaluator process hits its memory or wall limit, the step fails with a located error in English and
Chinese, no ticket changes, and the web process never runs the code itself.
"""

import threading
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import func, select

from engine import deployments, tickets, users
from engine.db import db
from engine.errors import ProcessError
from engine.models import Ticket
from engine.sandbox import pool, rules
from engine.sandbox.rules import SandboxViolation
from engine.sandbox.script_engine import SandboxEnvironment
from tests.bpmn_samples import DECISION_STEP, simple

BIG = "(s := 'x' * 500000, "  # an expression may name a value with :=, then use it
DEEP = "(a := [1], b := [1], " + "a := [a, a], b := [b, b], " * 28 + "a == b)[-1]"
ATTACKS = {  # each adds gigabytes, or holds the evaluator for hours, in one C call
    "to_bytes": ("(1).to_bytes(2*10**9, 'big')", "memory limit exceeded", "超出内存限制"),
    "unpacking": (BIG + "[" + "*s, " * 2000 + "])[-1]", "memory limit exceeded", "超出内存限制"),
    "f-string": (BIG + "f'" + "{s}" * 5000 + "')[-1]", "memory limit exceeded", "超出内存限制"),
    "str of shared list": (BIG + "str([s] * 4000))[-1]", "memory limit exceeded", "超出内存限制"),
    "deep shared compare": (DEEP, "time limit exceeded", "超出时间限制"),
}
GATEWAY_STEP = """<bpmn:exclusiveGateway id="step" name="Route" default="f2">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f2b</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f2b" sourceRef="step" targetRef="work">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"""
DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="attack" name="Attack"
    namespace="http://keydesk.example/dmn">
  <decision id="verdict" name="Verdict">
    <decisionTable id="table">
      <input id="one" label="One"><inputExpression id="one_expr" typeRef="integer"><text>1</text></inputExpression>
      </input>
      <output id="out" label="Out" name="out" typeRef="string"/>
      <rule id="any"><inputEntry id="any_test"><text>-</text></inputEntry>
        <outputEntry id="any_out"><text>{cell}</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def deploy_attack(place: str, code: str) -> None:
    supervisor = users.by_username("supervisor")
    if place == "script":
        deployments.deploy(supervisor, simple(key="attack", script=f"x = {code}"))
    elif place == "condition":
        deployments.deploy(supervisor, simple(key="attack", step=GATEWAY_STEP.replace("{condition}", escape(code))))
    else:
        deployments.deploy(supervisor, simple(key="attack", step=DECISION_STEP.replace("{decision}", "verdict")),
                           [DMN.replace("{cell}", escape(code)).encode()])


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("place", ["condition", "script", "decision cell"])
def test_an_attack_stops_at_a_limit_with_a_located_error_and_no_ticket(app, place, attack):
    code, limit, limit_zh = ATTACKS[attack]
    assert rules.check(code, "eval") == []  # the static rules do not see it: only the process limits can
    deploy_attack(place, code)

    with pytest.raises(ProcessError) as raised:
        tickets.start_ticket(users.by_username("agent"), "attack", "attack")

    details = raised.value.details
    assert details["element_id"] == "step"
    assert limit in details["message"]
    assert limit_zh in details["message_zh"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_web_process_answers_while_an_evaluator_is_stuck_in_one_c_call(client):
    evaluators = pool.shared()
    before = {worker.pid for worker in evaluators.idle}
    sent = threading.Event()
    outcome = []

    def send(request, wall_seconds, max_chars):
        sent.set()
        return SandboxEnvironment().send(request, wall_seconds, max_chars)

    def evaluate():
        try:
            SandboxEnvironment(send=send).evaluate(DEEP, {})
        except SandboxViolation as err:
            outcome.append(err.problem)

    running = threading.Thread(target=evaluate)
    running.start()
    sent.wait()
    answers = [client.get("/healthz").status_code for _ in range(5)]
    still_running = running.is_alive()  # in this process the comparison would hold the GIL for minutes
    running.join()

    assert answers == [answers[0]] * 5 and answers[0] in (200, 503)
    assert still_running
    assert "time limit exceeded" in outcome[0].message
    after = {worker.pid for worker in evaluators.idle}
    assert before - after and after - before  # the stuck evaluator was killed, a fresh one took its place
