"""A call activity runs another deployed process, as it was when the caller was deployed."""

import pytest

from engine import deployments, runtime, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidDiagram, InvalidInput
from engine.models import Ticket
from tests.bpmn_samples import DECISION_STEP, simple
from tests.test_decisions_and_timers import dmn

CALL = """<bpmn:callActivity id="step" name="Approve the contract" calledElement="approval">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>"""


def approval(task_name: str) -> bytes:
    """The called process: one task for the supervisor."""
    return simple(key="approval", role="supervisor").replace(b"Do the work", task_name.encode())


def deploy(xml: bytes):
    return deployments.deploy(users.by_username("supervisor"), xml)


def open_names(ticket_id: int) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(t.name, t.role) for t in db.session.get(Ticket, ticket_id).tasks if t.state == "open"]


def work_through(ticket_id: int) -> None:
    while tasks := [t for t in db.session.get(Ticket, ticket_id).tasks if t.state == "open"]:
        tickets.complete(users.by_username(tasks[0].role), tasks[0].id, {})
        db.session.expire_all()


def test_the_caller_runs_the_called_process_and_goes_on(app):
    deploy(approval("Director approves"))
    deploy(simple(key="order", step=CALL))
    ticket = tickets.start_ticket(users.by_username("agent"), "order", "New leased line")
    assert open_names(ticket.id) == [("Director approves", "supervisor")]  # the called process's lane
    tickets.complete(users.by_username("supervisor"), ticket.tasks[0].id, {})
    assert open_names(ticket.id) == [("Do the work", "agent")]
    work_through(ticket.id)
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_a_caller_keeps_the_called_process_it_was_deployed_with(app):
    deploy(approval("Director approves"))
    deploy(simple(key="order", step=CALL))
    deploy(approval("VP approves"))  # a new version of the called process
    ticket = tickets.start_ticket(users.by_username("agent"), "order", "pinned")
    assert open_names(ticket.id) == [("Director approves", "supervisor")]
    deploy(simple(key="order", step=CALL))  # redeploying the caller takes the newest called version
    ticket = tickets.start_ticket(users.by_username("agent"), "order", "newest")
    assert open_names(ticket.id) == [("VP approves", "supervisor")]


def test_calling_a_process_that_is_not_deployed_is_refused_at_its_element(app):
    with pytest.raises(InvalidDiagram) as caught:
        deploy(simple(key="order", step=CALL))
    problem, = caught.value.details
    assert problem["element_id"] == "step" and "'approval', which is not deployed" in problem["message"]
    assert problem["line"]


def test_a_called_process_with_a_decision_table_runs_with_its_table(app):
    decided = simple(key="approval", role="supervisor", step=DECISION_STEP.replace("{decision}", "fault_level"))
    table = dmn("1").replace(b"<text>tier</text>", b"<text>'A+'</text>")  # decides without data
    deployments.deploy(users.by_username("supervisor"), decided, [table])
    deploy(simple(key="order", step=CALL))
    ticket = tickets.start_ticket(users.by_username("agent"), "order", "Leased line")
    task, = [t for t in ticket.tasks if t.state == "open"]
    assert (task.name, task.role) == ("Do the work", "supervisor")  # the called process ran its decision
    assert runtime.find_task(runtime.load(ticket), task.spiff_task_id).data["level"] == 1


def test_the_tasks_of_a_called_process_are_checked_against_its_forms(app):
    repair = deployments.latest_version("red_fault").forms["red_fault.repair"]
    deployments.deploy(users.by_username("supervisor"), simple(key="approval", role="supervisor",
                                                               work_props={"form": "red_fault.repair"}),
                       forms={"red_fault.repair": repair})
    deploy(simple(key="order", step=CALL))
    ticket = tickets.start_ticket(users.by_username("agent"), "order", "Leased line")
    task, = [t for t in ticket.tasks if t.state == "open"]
    with pytest.raises(InvalidInput) as caught:
        tickets.complete(users.by_username("supervisor"), task.id, {"cause": "Fibre cut"})
    assert {d["field"] for d in caught.value.details} == {"action", "restored"}
    tickets.complete(users.by_username("supervisor"), task.id, {"cause": "Fibre cut", "action": "Spliced",
                                                                "restored": True})
    assert open_names(ticket.id) == [("Do the work", "agent")]
