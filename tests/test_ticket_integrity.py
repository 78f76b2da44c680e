"""A ticket closes only when its workflow really completed: loops of any length keep working, and a workflow that
cannot go on becomes an incident on the ticket instead of a silent close."""

import json

from sqlalchemy import select

from engine import deployments, tickets
from engine.db import db
from engine.models import HumanTask, Ticket
from tests import test_process_green_order as green_order
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
