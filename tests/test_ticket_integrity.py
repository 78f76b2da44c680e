"""A ticket closes only when its workflow really completed: loops of any length keep working, and a workflow that
cannot go on becomes an incident on the ticket instead of a silent close."""

import json

from sqlalchemy import select

from engine import deployments, scheduler, tickets
from engine.db import db
from engine.models import HumanTask, Ticket, Timer
from tests import test_process_green_order as green_order
from tests.bpmn_samples import one_lane, service_step
from tests.loop_samples import DEADLOCK, loop
from tests.process_library import kinds, staff
from tests.process_walk import customer
from tests.walk import open_steps, reload, walk

ROUNDS = 2000


def active(ticket: Ticket) -> list[HumanTask]:
    return list(db.session.scalars(select(HumanTask).where(HumanTask.ticket_id == ticket.id,
                                                           HumanTask.state.in_(("open", "claimed")))))


def test_a_task_looping_back_two_thousand_times_keeps_its_ticket_open_until_the_end(app):
    deployments.deploy(staff("supervisor"), loop(ROUNDS))
    ticket = tickets.start_ticket(staff("agent"), "looping", "Round and round")
    first_size = len(ticket.workflow_state)
    for done in range(ROUNDS):
        task, = active(ticket)  # exactly one task waits in every round, the last one included
        assert (ticket.status, task.element_id) == ("open", "work"), f"after {done} rounds"
        tickets.complete(staff("agent"), task.id, {})
    assert ticket.status == "closed" and active(ticket) == []
    assert json.loads(ticket.workflow_state)["data"]["rounds"] == ROUNDS
    assert kinds(ticket).count("completed") == ROUNDS and kinds(ticket)[-1] == "closed"
    assert len(ticket.workflow_state) < 2 * first_size  # the finished rounds are not kept in the state


def test_the_construction_progress_loop_of_a_green_order_runs_past_a_thousand_tree_levels(app):
    ticket = green_order.start(customer("G0003"))
    walk(ticket.id, [("record_visit", green_order.VISIT), ("technical_solution", green_order.SOLUTION),
                     *green_order.SIGNED, *green_order.CONSTRUCTION])
    step, progress = green_order.PROGRESS
    for done in range(600):  # each round adds two levels to SpiffWorkflow's task tree
        task, = active(ticket)
        assert task.element_id == step, f"after {done} rounds"
        tickets.complete(staff("engineer"), task.id, progress)
    walk(ticket.id, [green_order.FINISHED])
    assert reload(ticket).status == "open"
    assert open_steps(ticket.id) == [("joint_acceptance", "engineering")]


def test_a_workflow_that_cannot_go_on_becomes_an_incident_and_can_still_be_cancelled(app):
    deployments.deploy(staff("supervisor"), DEADLOCK)
    ticket = tickets.start_ticket(staff("agent"), "deadlock", "Waits for nothing")
    tickets.complete(staff("agent"), active(ticket)[0].id, {})
    assert ticket.status == "incident" and ticket.closed_at is None
    assert kinds(ticket)[-1] == "incident"
    tickets.cancel(staff("supervisor"), ticket.id, "the diagram joins a branch it never takes")
    assert ticket.status == "cancelled"


# start → fork → (wait a minute → a service task that needs the ticket's customer → end) and (an end at once or,
# with `beside`, a user task 'work' → end). The ticket has no customer, so the service task fails when the timer
# fires.
TIMED_SERVICE = """<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"><bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>t0</bpmn:outgoing>
      <bpmn:outgoing>w0</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="t0" sourceRef="fork" targetRef="later"/>
    <bpmn:intermediateCatchEvent id="later" name="A minute later"><bpmn:incoming>t0</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="later" targetRef="step"/>
    {service}
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>{beside}"""
BESIDE = """
    <bpmn:sequenceFlow id="w0" sourceRef="fork" targetRef="work"/>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>w0</bpmn:incoming><bpmn:outgoing>w1</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="w1" sourceRef="work" targetRef="done"/>
    <bpmn:endEvent id="done"><bpmn:incoming>w1</bpmn:incoming></bpmn:endEvent>"""
AT_ONCE = """
    <bpmn:sequenceFlow id="w0" sourceRef="fork" targetRef="done"/>
    <bpmn:endEvent id="done"><bpmn:incoming>w0</bpmn:incoming></bpmn:endEvent>"""


def timed_service(fake_clock, beside: bool) -> Ticket:
    """A ticket of TIMED_SERVICE whose timer has fired (and whose service task failed)."""
    elements = TIMED_SERVICE.replace("{service}", service_step("customer_profile", {"required": "True"}))
    elements = elements.replace("{beside}", BESIDE if beside else AT_ONCE)
    deployments.deploy(staff("supervisor"), one_lane("timed", elements))
    ticket = tickets.start_ticket(staff("agent"), "timed", "Looks at the customer later")
    fake_clock.advance(minutes=2)
    assert scheduler.sweep() == 1
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id)


def test_a_service_task_failing_after_a_timer_makes_the_ticket_an_incident_with_the_reason(app, fake_clock):
    ticket = timed_service(fake_clock, beside=False)
    assert ticket.status == "incident" and ticket.closed_at is None
    failed, incident = [e for e in tickets.history(ticket) if e.kind in ("timer_failed", "incident")]
    assert failed.data["element"] == "later" and "has no customer" in failed.data["error"]
    assert "the timer later failed and nothing else is waiting" in incident.data["reason"]
    assert db.session.scalar(select(Timer.state).where(Timer.ticket_id == ticket.id)) == "failed"
    assert scheduler.sweep() == 0  # not retried in a loop


def test_a_failed_timer_leaves_a_ticket_open_while_a_person_still_has_a_task_of_it(app, fake_clock):
    ticket = timed_service(fake_clock, beside=True)
    assert ticket.status == "open"
    assert "timer_failed" in kinds(ticket) and "incident" not in kinds(ticket)
    assert [t.element_id for t in active(ticket)] == ["work"]
