"""A task's ``assignee`` property hands it straight to the person who keeps the case (首问负责制)."""

import pytest

from engine import deployments, tickets
from engine.directory import users
from engine.errors import Conflict, InvalidDiagram
from tests.bpmn_samples import simple

HAND_BACK = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="handback" name="Hand back" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_agent" name="agent">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>take</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>answer</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_business" name="business"><bpmn:flowNodeRef>solve</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="take"/>
    <bpmn:userTask id="take" name="Take the case"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="take" targetRef="solve"/>
    <bpmn:userTask id="solve" name="Solve it"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="solve" targetRef="answer"/>
    <bpmn:userTask id="answer" name="Answer the customer">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="assignee" value="{assignee}"/>
        <spiffworkflow:property name="sla.response" value="PT10M"/>
        <spiffworkflow:property name="sla.resolution" value="PT4H"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f4" sourceRef="answer" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def staff(name: str):
    return users.by_username(name)


def open_task(ticket, element_id: str):
    return next(t for t in ticket.tasks if t.element_id == element_id and t.state in ("open", "claimed"))


@pytest.mark.parametrize("assignee, opener, taker, owner", [
    ("take", "agent", "agent2", "agent2"),  # whoever took the case answers
    ("creator", "manager", "agent", "manager"),  # whoever opened the ticket answers, even outside the lane
])
def test_the_answer_goes_back_to_whoever_keeps_the_case(app, assignee, opener, taker, owner):
    users.create_user("agent2", "demo", ["agent"], "Second agent", branch=staff("agent").branch)
    deployments.deploy(staff("supervisor"), HAND_BACK.replace(b"{assignee}", assignee.encode()))
    ticket = tickets.start_ticket(staff(opener), "handback", "Complaint")
    tickets.complete(staff(taker), open_task(ticket, "take").id, {})
    tickets.complete(staff("business"), open_task(ticket, "solve").id, {})

    answer = open_task(ticket, "answer")
    assert (answer.state, answer.assignee.username, answer.role) == ("claimed", owner, "agent")
    assert [c.kind for c in tickets.sla_clocks(ticket) if c.task_id == answer.id] == ["resolution"]
    created = [e for e in tickets.history(ticket) if e.kind == "task_created"][-1]
    assert created.data == {"name": "Answer the customer", "role": "agent", "assignee": owner}
    with pytest.raises(Conflict, match=f"claimed by {owner}"):
        tickets.complete(staff("agent"), answer.id, {})
    tickets.complete(staff(owner), answer.id, {})  # the owner works it, with or without the lane's role
    assert ticket.status == "closed"


def test_an_owner_who_left_leaves_the_task_to_the_role(app):
    deployments.deploy(staff("supervisor"), HAND_BACK.replace(b"{assignee}", b"creator"))
    leaver = users.create_user("leaver", "demo", ["agent"], "Leaver", branch=staff("agent").branch)
    ticket = tickets.start_ticket(leaver, "handback", "Complaint")
    leaver.active = False
    tickets.complete(staff("agent"), open_task(ticket, "take").id, {})
    tickets.complete(staff("business"), open_task(ticket, "solve").id, {})
    answer = open_task(ticket, "answer")
    assert (answer.state, answer.assignee) == ("open", None)


def test_an_assignee_that_names_no_task_is_refused_at_deploy(app):
    with pytest.raises(InvalidDiagram) as caught:
        deployments.deploy(staff("supervisor"), simple(work_props={"assignee": "nobody_task"}))
    problem, = caught.value.details
    assert problem["element_id"] == "work" and "'nobody_task'" in problem["message"]
