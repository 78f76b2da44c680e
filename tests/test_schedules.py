"""Processes with a timer start event are started by the scheduler: one schedule row per start event, planned at
deploy, moved to each new version, and each occurrence starts exactly one ticket (also with several workers)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import deployments, scheduler, schedules, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidDiagram
from engine.models import ProcessSchedule, Ticket
from tests.bpmn_samples import _fill, properties

PERIODIC = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="periodic" name="Periodic check" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_1" name="supervisor">
        <bpmn:flowNodeRef>tick</bpmn:flowNodeRef><bpmn:flowNodeRef>step</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>work</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="tick" name="Every cycle">{start_props}<bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:{kind}>{timer}</bpmn:{kind}></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="tick" targetRef="step"/>
    <bpmn:scriptTask id="step" name="Prepare"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="work"/>
    <bpmn:userTask id="work" name="Do the check"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""
MONTHLY = "R/2026-12-01T02:00:00+08:00/P1M"  # 02:00 at the desk on the 1st of each month


def periodic(timer: str = MONTHLY, kind: str = "timeCycle", script: str = "checked = True",
             form: str | None = None) -> bytes:
    return _fill(PERIODIC, {"{timer}": timer, "{kind}": kind, "{script}": script,
                            "{start_props}": properties({"form": form}) if form else ""})


@pytest.fixture(autouse=True)
def without_the_demo_schedules(app):
    """The shipped member review is planned too; these tests count only their own process's starts."""
    for row in schedules.schedules():
        row.active, row.next_due = False, None
    db.session.commit()


def deploy(xml: bytes, who: str = "supervisor"):
    version, = deployments.deploy(users.by_username(who), xml)
    return version


def schedule() -> ProcessSchedule:
    row, = [row for row in schedules.schedules() if row.model.key == "periodic"]
    db.session.refresh(row)
    return row


def started() -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).order_by(Ticket.id)))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_monthly_process_starts_a_ticket_on_the_first_of_each_month(app, fake_clock):
    version = deploy(periodic())
    row = schedule()
    assert (row.element_id, row.timer, row.version_id, row.active) == ("tick", MONTHLY, version.id, True)
    assert row.next_due == utc(2026, 11, 30, 18)  # 1 December 02:00 in Shanghai
    fake_clock.current = utc(2026, 11, 30, 17, 59)
    assert scheduler.sweep() == 0 and started() == []
    assert scheduler.next_wake() <= utc(2026, 11, 30, 18, 0, 0, 1000)
    fake_clock.current = utc(2026, 11, 30, 18, 0, 1)
    assert scheduler.sweep() == 1
    ticket, = started()
    assert (ticket.title, ticket.status, ticket.creator.username) == ("Periodic check (2026-12-01)", "open",
                                                                       "supervisor")
    created = tickets.history(ticket)[0]
    assert (created.kind, created.actor.username, created.data["scheduled"]) == ("created", "supervisor", "tick")
    assert [(t.element_id, t.role, t.state) for t in ticket.tasks] == [("work", "supervisor", "open")]
    assert ticket.tasks[0].ticket.status == "open"
    row = schedule()
    assert (row.next_due, row.started, row.last_ticket_id) == (utc(2026, 12, 31, 18), 1, ticket.id)
    assert scheduler.sweep() == 0  # that occurrence is done
    fake_clock.current = utc(2026, 12, 31, 18, 0, 1)
    assert scheduler.sweep() == 1
    assert schedule().next_due == utc(2027, 1, 31, 18)  # calendar months: 1 February, not 31 days on


def test_the_scheduled_ticket_works_and_closes_like_any_other(app, fake_clock):
    deploy(periodic())
    fake_clock.current = utc(2026, 11, 30, 18, 0, 1)
    scheduler.sweep()
    ticket, = started()
    tickets.complete(users.by_username("supervisor"), ticket.tasks[0].id, {})
    assert ticket.status == "closed"
    assert [e.kind for e in tickets.history(ticket)] == ["created", "task_created", "completed", "closed"]


def test_occurrences_missed_while_no_scheduler_ran_start_one_ticket(app, fake_clock):
    deploy(periodic())
    fake_clock.current = utc(2027, 3, 15)  # down since November
    assert scheduler.sweep() == 1
    assert len(started()) == 1
    assert schedule().next_due == utc(2027, 3, 31, 18)  # the next one still ahead: 1 April


@pytest.mark.parametrize("timer, kind, dues", [
    ("R2/PT1H", "timeCycle", [utc(2026, 11, 23, 2), utc(2026, 11, 23, 3)]),  # twice, an hour apart, from deploy
    ("'R2/PT1H'", "timeCycle", [utc(2026, 11, 23, 2), utc(2026, 11, 23, 3)]),  # quoted as a Python string
    ("2026-11-24T09:00:00", "timeDate", [utc(2026, 11, 24, 1)]),  # once; no offset: the desk's time zone
    ("P1D", "timeDuration", [utc(2026, 11, 24, 1)]),  # once, a day after deploy
])
def test_each_kind_of_timer_starts_its_occurrences_then_stops(app, fake_clock, timer, kind, dues):
    deploy(periodic(timer, kind))
    for due in dues:
        assert schedule().next_due == due
        fake_clock.current = due + timedelta(seconds=1)
        assert scheduler.sweep() == 1
    row = schedule()
    assert (row.active, row.next_due, row.started) == (False, None, len(dues))
    fake_clock.advance(days=400)
    assert scheduler.sweep() == 0
    assert len(started()) == len(dues)


def test_a_date_already_past_at_deploy_starts_nothing(app, fake_clock):
    deploy(periodic("2026-11-01T09:00:00+08:00", "timeDate"))
    assert (schedule().active, schedule().next_due) == (False, None)
    assert scheduler.sweep() == 0


def test_a_new_version_replaces_the_schedule(app, fake_clock):
    deploy(periodic())
    first_due = schedule().next_due
    second = deploy(periodic(script="checked = 2"))  # same timer: same row, same cadence, the new version
    row = schedule()
    assert (row.version_id, row.next_due, row.active) == (second.id, first_due, True)
    third = deploy(periodic("R/2026-12-15T02:00:00+08:00/P1M"))  # a new timer counts from its own start
    assert (schedule().version_id, schedule().next_due) == (third.id, utc(2026, 12, 14, 18))
    fake_clock.current = utc(2026, 12, 14, 18, 0, 1)
    scheduler.sweep()
    ticket, = started()
    assert ticket.process_version_id == third.id
    deploy(periodic().replace(b"<bpmn:timerEventDefinition>", b"<!--").replace(b"</bpmn:timerEventDefinition>",
                                                                            b"-->"))
    assert (schedule().active, schedule().next_due) == (False, None)  # a plain start event: no schedule
    assert len([row for row in schedules.schedules() if row.model.key == "periodic"]) == 1


def test_scheduled_tickets_start_with_the_start_forms_defaults(app, fake_clock):
    form = {"type": "object", "title": "Check", "x-title-zh": "检查",
            "properties": {"thorough": {"type": "boolean", "title": "Thorough", "x-title-zh": "全面", "default": True},
                           "note": {"type": "string", "title": "Note", "x-title-zh": "备注"}},
            "additionalProperties": False}
    version, = deployments.deploy(users.by_username("supervisor"), periodic(form="periodic.start"),
                                  forms={"periodic.start": form})
    fake_clock.current = utc(2026, 11, 30, 18, 0, 1)
    scheduler.sweep()
    ticket, = started()
    assert ticket.data == {"thorough": True}


@pytest.mark.parametrize("timer, needle", [
    ("next_month", "is an expression"),
    ("R/2026-12-01T02:00:00+08:00/P0D", "repeats at most once a minute"),  # the cycle bound speaks first
    ("R/P1M/2027-12-01T02:00:00", "R/start/interval or R/interval"),
])
def test_a_timer_start_event_the_scheduler_cannot_plan_is_refused_at_deploy(app, timer, needle):
    with pytest.raises(InvalidDiagram) as caught:
        deploy(periodic(timer))
    problem, = caught.value.details
    assert problem["element_id"] == "tick" and needle in problem["message"]
    assert [row.model.key for row in schedules.schedules() if row.model.key == "periodic"] == []


def test_a_ticket_that_fails_to_start_leaves_the_reason_and_the_schedule_moves_on(app, fake_clock):
    deploy(periodic(script="checked = 1 / 0"))
    fake_clock.current = utc(2026, 11, 30, 18, 0, 1)
    assert scheduler.sweep() == 1
    row = schedule()
    assert started() == []
    assert "step" in row.last_error and "division by zero" in row.last_error
    assert (row.started, row.next_due, row.active) == (0, utc(2026, 12, 31, 18), True)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_workers_sweeping_at_once_start_the_occurrence_once(app, fake_clock, monkeypatch):
    deploy(periodic())
    fake_clock.current = utc(2026, 11, 30, 18, 0, 1)
    holding, tried = threading.Event(), threading.Event()
    original = tickets.open_ticket

    def open_slowly(*args, **kwargs):
        holding.set()  # the first worker holds the schedule row...
        tried.wait(timeout=10)  # ...while the second one sweeps
        return original(*args, **kwargs)

    monkeypatch.setattr(tickets, "open_ticket", open_slowly)
    results = {}

    def worker(name: str, wait_for: threading.Event | None) -> None:
        with app.app_context():
            try:
                if wait_for is not None:
                    wait_for.wait(timeout=10)
                results[name] = scheduler.sweep()
            finally:
                if wait_for is not None:
                    tried.set()
                db.session.remove()

    threads = [threading.Thread(target=worker, args=("first", None)),
               threading.Thread(target=worker, args=("second", holding))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {"first": 1, "second": 0}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 1
    assert schedule().next_due == utc(2026, 12, 31, 18)
