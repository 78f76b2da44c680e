"""Moving running tickets to another version: what may move, what moves with it, and what refuses to."""

from itertools import pairwise

import pytest
from sqlalchemy import select

from engine import deployments, migration, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidInput
from engine.models import HumanTask, SlaClock, Ticket, Timer
from tests.bpmn_samples import properties, simple

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="flow" name="Flow" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
"""
CHASER = """<bpmn:boundaryEvent id="reminder" name="Too long" attachedToRef="work" cancelActivity="false">
      <bpmn:outgoing>chase_flow</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT30M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="chase_flow" sourceRef="reminder" targetRef="chase"/>
    <bpmn:userTask id="chase" name="Chase"><bpmn:outgoing>chased_flow</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="chased_flow" sourceRef="chase" targetRef="chased"/>
    <bpmn:endEvent id="chased"/>
"""
SLA = {"sla.resolution": "PT4H"}
BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def flow(*steps: tuple[str, str]) -> bytes:
    """start → the (id, role) user tasks in order → end; 'work' carries a 4 h SLA and a 30 min chaser timer."""
    ids = ["start", *(step_id for step_id, _ in steps), "end"]
    roles = {role for _, role in steps} | {"supervisor"}
    lanes = "".join(
        f'<bpmn:lane id="lane_{role}" name="{role}">'
        + "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i, r in steps if r == role)
        + ("<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>"
           "<bpmn:flowNodeRef>reminder</bpmn:flowNodeRef><bpmn:flowNodeRef>chase</bpmn:flowNodeRef>"
           "<bpmn:flowNodeRef>chased</bpmn:flowNodeRef>" if role == "supervisor" else "")
        + "</bpmn:lane>" for role in sorted(roles))
    body = ['<bpmn:startEvent id="start"/>']
    for step_id, _ in steps:
        props = properties(SLA) if step_id == "work" else ""
        body.append(f'<bpmn:userTask id="{step_id}" name="{step_id.title()}">{props}</bpmn:userTask>')
    body.append('<bpmn:endEvent id="end"/>')
    body += [f'<bpmn:sequenceFlow id="to_{b}" sourceRef="{a}" targetRef="{b}"/>' for a, b in pairwise(ids)]
    chaser = CHASER if any(step_id == "work" for step_id, _ in steps) else ""
    return (f'{HEAD}<bpmn:laneSet id="lanes">{lanes}</bpmn:laneSet>{"".join(body)}{chaser}'
            "</bpmn:process></bpmn:definitions>").encode()


def deploy(*steps) -> int:
    version, = deployments.deploy(users.by_username("supervisor"), flow(*steps), comment="test")
    return version.version


def start() -> Ticket:
    return tickets.start_ticket(users.by_username("agent"), "flow", "migration test")


def open_tasks(ticket: Ticket) -> list[HumanTask]:
    db.session.expire_all()
    return [t for t in db.session.get(Ticket, ticket.id).tasks if t.state in ("open", "claimed")]


def supervisor():
    return users.by_username("supervisor")


@BOTH
def test_a_waiting_ticket_moves_to_a_version_with_an_added_step_and_keeps_its_work(app, fake_clock):
    deploy(("work", "agent"))
    ticket = start()
    task, = open_tasks(ticket)
    tickets.claim(users.by_username("agent"), task.id)
    clocks_before = [(c.id, c.kind, c.due_at, c.state) for c in tickets.sla_clocks(ticket)]
    timer_before = db.session.scalar(select(Timer).where(Timer.ticket_id == ticket.id, Timer.kind == "bpmn"))
    due_before = timer_before.due_at
    fake_clock.advance(minutes=10)
    deploy(("work", "agent"), ("review", "supervisor"))

    report = migration.check(supervisor(), "flow", 1, 2)
    assert [t["number"] for t in report["movable"]] == [ticket.number] and report["refused"] == []
    assert db.session.get(Ticket, ticket.id).process_version.version == 1  # a dry run changes nothing

    result = migration.migrate(supervisor(), "flow", 1, 2)
    assert [t["id"] for t in result["migrated"]] == [ticket.id]
    db.session.expire_all()
    moved = db.session.get(Ticket, ticket.id)
    assert moved.process_version.version == 2
    same, = open_tasks(ticket)
    assert (same.id, same.assignee.username, same.state) == (task.id, "agent", "claimed")
    assert [(c.id, c.kind, c.due_at, c.state) for c in tickets.sla_clocks(moved)] == clocks_before
    timer = db.session.scalar(select(Timer).where(Timer.ticket_id == ticket.id, Timer.kind == "bpmn",
                                                  Timer.state == "armed"))
    assert (timer.id, timer.due_at) == (timer_before.id, due_before)
    migrated, = [e for e in tickets.history(moved) if e.kind == "migrated"]
    assert (migrated.data["from_version"], migrated.data["to_version"], migrated.actor.username) == (1, 2, "supervisor")

    fake_clock.advance(minutes=25)  # 35 min after the start: the chaser, armed for 30, fires on its old time
    assert tickets.fire_due_timer(set()) == timer.id
    assert {t.element_id for t in open_tasks(ticket)} == {"work", "chase"}
    tickets.complete(users.by_username("agent"), task.id, {})
    assert {t.element_id for t in open_tasks(ticket)} == {"chase", "review"}  # the new flow's added step


def test_a_ticket_at_a_removed_step_needs_a_mapping(app, fake_clock):
    deploy(("work", "agent"), ("check", "agent"))
    ticket = start()
    work, = open_tasks(ticket)
    tickets.complete(users.by_username("agent"), work.id, {})
    check_task, = open_tasks(ticket)
    deploy(("work", "agent"), ("approve", "manager"))
    lock = db.session.get(Ticket, ticket.id).lock_version

    report = migration.check(supervisor(), "flow", 1, 2)
    refused, = report["refused"]
    assert refused["reasons"][0]["element_id"] == "check"
    assert "waits at check" in refused["reasons"][0]["reason"] and "check" in refused["reasons"][0]["reason_zh"]
    result = migration.migrate(supervisor(), "flow", 1, 2)
    assert result["migrated"] == [] and result["refused"][0]["id"] == ticket.id
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).lock_version == lock  # refused: nothing written

    result = migration.migrate(supervisor(), "flow", 1, 2, mapping={"check": "approve"})
    assert [t["mapping"] for t in result["migrated"]] == [{"check": "approve"}]
    moved, = open_tasks(ticket)
    assert (moved.id, moved.element_id, moved.role) == (check_task.id, "approve", "manager")
    tickets.complete(users.by_username("manager"), moved.id, {})
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_a_mapping_to_an_element_the_new_version_lacks_is_refused(app, fake_clock):
    deploy(("work", "agent"))
    ticket = start()
    deploy(("triage", "agent"))
    report = migration.check(supervisor(), "flow", 1, 2, mapping={"work": "nowhere"})
    assert report["refused"][0]["id"] == ticket.id
    reasons = {(r["element_id"], r["code"]) for r in report["refused"][0]["reasons"]}
    assert ("work", "mapping_unknown") in reasons and ("reminder", "waits_at_removed") in reasons


@BOTH
def test_migration_checks_the_role_and_sla_clocks_of_breached_steps_stay(api, fake_clock):
    deploy(("work", "agent"))
    ticket = start()
    fake_clock.advance(hours=5)
    while tickets.fire_due_timer(set()) is not None:
        pass
    deploy(("work", "agent"), ("review", "supervisor"))
    body = {"to": 2}
    assert api("post", "/process-models/flow/versions/1/migration/check", "agent", json=body).status_code == 403
    response = api("post", "/process-models/flow/versions/1/migration", "supervisor", json=body)
    assert response.status_code == 200, response.json
    assert [t["id"] for t in response.json["migrated"]] == [ticket.id]
    breached = db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id,
                                                         SlaClock.state == "breached")).all()
    assert breached, "the breach before the move stays on record"
    heat = api("get", "/process-models/flow/versions/2/heatmap", "supervisor").json  # where the ticket is now
    assert heat["elements"] == [{"element_id": "chase", "open_tickets": 1, "waiting_timers": 0, "breached": 0},
                                {"element_id": "work", "open_tickets": 1, "waiting_timers": 0, "breached": 1}]
    assert api("get", "/process-models/flow/versions/1/heatmap", "supervisor").json["elements"] == []


FORM_V1 = {"type": "object", "title": "Work", "x-title-zh": "处理", "additionalProperties": False,
           "properties": {"note": {"type": "string", "title": "Note", "x-title-zh": "备注"}}}
FORM_V2 = {**FORM_V1, "properties": {**FORM_V1["properties"],
                                     "cause": {"type": "string", "title": "Cause", "x-title-zh": "原因",
                                               "minLength": 1}},
           "required": ["cause"]}


def test_a_waiting_task_whose_form_gained_a_required_field_stays_open_with_the_new_form(app):
    def deploy_form(form: dict) -> None:
        deployments.deploy(supervisor(), simple(key="formed", work_props={"form": "formed.work"}), comment="form",
                           forms={"formed.work": form})

    deploy_form(FORM_V1)
    ticket = tickets.start_ticket(users.by_username("agent"), "formed", "form migration")
    task, = open_tasks(ticket)
    deploy_form(FORM_V2)

    report = migration.check(supervisor(), "formed", 1, 2)
    movable, = report["movable"]
    note, = movable["notes"]
    assert (note["element_id"], note["code"], note["fields"]) == ("work", "form_requires_more", ["cause"])
    assert "cause" in note["note"] and "cause" in note["note_zh"]

    assert [t["id"] for t in migration.migrate(supervisor(), "formed", 1, 2)["migrated"]] == [ticket.id]
    same, = open_tasks(ticket)
    assert (same.id, same.state, same.form_key) == (task.id, "open", "formed.work")
    assert same.ticket.process_version.forms["formed.work"] == FORM_V2
    with pytest.raises(InvalidInput) as refused:
        tickets.complete(users.by_username("agent"), task.id, {"note": "done"})
    assert [d["field"] for d in refused.value.details] == ["cause"]
    tickets.complete(users.by_username("agent"), task.id, {"note": "done", "cause": "cable cut"})
    assert open_tasks(ticket) == []


def test_a_form_that_asks_for_nothing_more_adds_no_note(app):
    for form in (FORM_V2, FORM_V1):
        deployments.deploy(supervisor(), simple(key="formed", work_props={"form": "formed.work"}), comment="form",
                           forms={"formed.work": form})
    tickets.start_ticket(users.by_username("agent"), "formed", "form migration")
    deployments.deploy(supervisor(), simple(key="formed", work_props={"form": "formed.work"}), comment="form",
                       forms={"formed.work": FORM_V1})
    assert [m["notes"] for m in migration.check(supervisor(), "formed", 2, 3)["movable"]] == [[]]
