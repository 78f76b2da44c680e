"""The hard limits of the evaluator processes: the attacks of issue 19, in every place diagram code runs.

Each attack passes the static rules and the run-time guards (one C call they do not see); the
evaluator process hits its memory or wall limit, the step fails with a located error in English and
Chinese, no ticket changes, and the web process never runs the code itself.
"""

import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import event, func, select

from engine import deployments, tickets
from engine.db import db
from engine.directory import users
from engine.errors import ProcessError
from engine.models import Ticket
from engine.sandbox import pool, rules
from engine.sandbox.rules import SandboxViolation
from engine.sandbox.script_engine import SandboxEnvironment
from tests.bpmn_samples import DECISION_STEP, one_lane, simple

BIG = "(s := 'x' * 500000, "  # an expression may name a value with :=, then use it
DEEP = "(a := [1], b := [1], " + "a := [a, a], b := [b, b], " * 28 + "a == b)[-1]"
MEMORY = ("memory limit exceeded", "超出内存限制")
WALL = ("time limit exceeded", "超出时间限制")
ATTACKS = {  # each adds gigabytes, or holds the evaluator for hours, in one C call; the limits that may stop it
    # (a machine under load may reach the wall limit before an attack has filled the address space)
    "to_bytes": ("(1).to_bytes(2*10**9, 'big')", [MEMORY]),  # one allocation: refused at once
    "unpacking": (BIG + "[" + "*s, " * 2000 + "])[-1]", [MEMORY, WALL]),
    "f-string": (BIG + "f'" + "{s}" * 5000 + "')[-1]", [MEMORY]),
    "str of shared list": (BIG + "str([s] * 4000))[-1]", [MEMORY, WALL]),
    "deep shared compare": (DEEP, [WALL]),
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
    code, limits = ATTACKS[attack]
    assert rules.check(code, "eval") == []  # the static rules do not see it: only the process limits can
    deploy_attack(place, code)

    with pytest.raises(ProcessError) as raised:
        tickets.start_ticket(users.by_username("agent"), "attack", "attack")

    details = raised.value.details
    assert details["element_id"] == "step"
    assert [(limit, limit_zh) for limit, limit_zh in limits
            if limit in details["message"] and limit_zh in details["message_zh"]]
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


# --- task data and workflow state ---

LATER_STEP = """<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
    <bpmn:scriptTask id="first"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>x = ['a']</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="work"/>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="grow"/>
    <bpmn:scriptTask id="grow"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f4" sourceRef="grow" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>"""


def started_then_completed(script: str):
    """A ticket waiting in 'work', then the failure of completing it (whose next step runs `script`)."""
    xml = one_lane("later", LATER_STEP.replace("{script}", escape(script)))
    deployments.deploy(users.by_username("supervisor"), xml)
    ticket = tickets.start_ticket(users.by_username("agent"), "later", "grows")
    task, = ticket.tasks
    state = ticket.workflow_state
    with pytest.raises(ProcessError) as raised:
        tickets.complete(users.by_username("agent"), task.id, {})
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).workflow_state == state  # nothing of the ticket changed
    assert [t.state for t in db.session.get(Ticket, ticket.id).tasks] == [task.state]
    return raised.value.details


@pytest.mark.parametrize(("script", "message", "message_zh"), [
    ("x.extend(['y' * 9000000] * 100)", "size limit exceeded: more than 1,000,000 characters of task data written "
                                        "out, at 'x'", "超出大小限制"),
    ("x.append(x)", "'x' contains itself", "包含自身"),
    ("for i in range(40):\n    x = [x, x]", "'x' is nested more than 32 levels deep", "嵌套超过 32 层"),
])
def test_task_data_changed_in_place_is_checked_whole_after_each_evaluation(app, script, message, message_zh):
    details = started_then_completed(script)

    assert details["element_id"] == "grow"
    assert message in details["message"]
    assert message_zh in details["message_zh"]


def test_a_step_whose_workflow_state_would_exceed_the_limit_is_refused(app, monkeypatch):
    monkeypatch.setenv("KEYDESK_MAX_STATE_BYTES", "40000")  # each task keeps its own copy of the task data

    details = started_then_completed("x = 'y' * 30000")

    assert details["limit"] == "state_bytes"
    assert "over the limit of 40,000" in details["message"]
    assert "超过上限 40,000 字节" in details["message_zh"]


def test_lists_never_read_the_workflow_state(app, api, staff):
    deployments.deploy(users.by_username("supervisor"), simple(key="listed"))
    tickets.start_ticket(users.by_username("agent"), "listed", "listed", customer_id=1)
    db.session.commit()
    agent, supervisor = staff("agent"), staff("supervisor")
    statements = []

    def catch(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        assert api("get", "/tickets", "agent").status_code == 200
        assert agent.get("/inbox").status_code == 200
        assert supervisor.get("/inbox?view=team").status_code == 200
        assert supervisor.get("/customers/1").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)

    assert any("FROM tickets" in statement for statement in statements)
    assert not [statement for statement in statements if "workflow_state" in statement]


def test_an_evaluator_runs_with_an_empty_environment_and_cannot_start_processes():
    """Should code ever get past the rules, the process it runs in holds no secrets and cannot fork."""
    assert SandboxEnvironment().evaluate("1 + 1", {}) == 2
    worker = pool.shared().idle[-1]  # the one that just answered, back in the pool

    environ = Path(f"/proc/{worker.pid}/environ").read_bytes().split(b"\0")
    limits = Path(f"/proc/{worker.pid}/limits").read_text()

    assert {entry.split(b"=")[0] for entry in environ if entry} == {b"PATH", b"LANG"}
    assert re.search(r"Max processes\s+0\s+0", limits)
    assert re.search(r"Max file size\s+0\s+0", limits)
    assert re.search(r"Max address space\s+536870912\s+536870912", limits)


def test_an_evaluator_over_its_cpu_allowance_is_ended_by_the_kernel():
    request = {"mode": "eval", "source": DEEP, "max_steps": 1000, "max_seconds": 60, "cpu_seconds": 1,
               "max_chars": 1000, "data": {}, "external": {}}

    with pytest.raises(SandboxViolation, match="CPU limit exceeded: the evaluation used more than 1 s") as raised:
        pool.send(request, wall_seconds=120, max_chars=1000)  # the wall is far: the CPU limit ends it first

    assert "超出 CPU 限制" in raised.value.problem.message_zh
