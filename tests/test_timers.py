"""BPMN timers: every kind waits as a row, fires once when the test's clock passes its due time, and not before."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from engine import deployments, scheduler, tickets, timers
from engine.db import db
from engine.directory import users
from engine.models import Ticket, Timer
from tests.bpmn_samples import TIMER_STEP, guarded, simple


def deploy(xml: bytes) -> None:
    deployments.deploy(users.by_username("supervisor"), xml)


def start(process: str) -> Ticket:
    return tickets.start_ticket(users.by_username("agent"), process, "timer test")


def tasks(ticket: Ticket) -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(t.element_id, t.role, t.state) for t in db.session.get(Ticket, ticket.id).tasks]


def rows(ticket: Ticket) -> list[tuple[str, str]]:
    found = db.session.scalars(select(Timer).where(Timer.ticket_id == ticket.id).order_by(Timer.id))
    return [(row.element_id, row.state) for row in found]


def fired_events(ticket: Ticket) -> list[str]:
    return [e.data["element"] for e in tickets.history(ticket) if e.kind == "timer_fired"]


def waits(duration: str = "PT10M", kind: str = "timeDuration") -> Ticket:
    deploy(simple(key="waits", step=TIMER_STEP.replace("{duration}", duration).replace("timeDuration", kind)))
    return start("waits")


def test_an_intermediate_timer_fires_once_after_its_due_time(app, fake_clock):
    ticket = waits("PT10M")
    assert rows(ticket) == [("step", "armed")]
    assert db.session.scalar(select(Timer.due_at)) == fake_clock.now() + timedelta(minutes=10)
    fake_clock.advance(minutes=9, seconds=59)
    assert scheduler.sweep() == 0 and tasks(ticket) == []
    fake_clock.advance(seconds=2)
    assert scheduler.sweep() == 1
    assert tasks(ticket) == [("work", "agent", "open")]
    assert rows(ticket) == [("step", "fired")] and fired_events(ticket) == ["step"]
    assert scheduler.sweep() == 0  # exactly once
    assert fired_events(ticket) == ["step"]


WAIT_THEN_END = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" targetNamespace="http://keydesk.example/test">
  <bpmn:process id="ends" isExecutable="true">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="channel" value="yellow"/>
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="step"/>
    <bpmn:intermediateCatchEvent id="step"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT10M</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="step" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_timer_that_ends_the_process_is_in_the_history_before_the_close(app, fake_clock):
    deploy(WAIT_THEN_END)
    ticket = start("ends")
    fake_clock.advance(minutes=11)
    assert scheduler.sweep() == 1
    db.session.expire_all()
    assert [e.kind for e in tickets.history(ticket)] == ["created", "timer_fired", "closed"]


def test_a_date_timer_is_due_at_its_instant(app, fake_clock):
    ticket = waits("2026-12-01T09:00:00+08:00", kind="timeDate")
    assert db.session.scalar(select(Timer.due_at).where(Timer.ticket_id == ticket.id)) == datetime(
        2026, 12, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("subprocess", [False, True])
def test_an_interrupting_boundary_timer_takes_the_work_away(app, fake_clock, subprocess):
    deploy(guarded(interrupting=True, subprocess=subprocess))
    ticket = start("guarded")
    inner = "inner_work" if subprocess else "work"
    assert tasks(ticket) == [(inner, "agent", "open")]
    fake_clock.advance(minutes=31)
    assert scheduler.sweep() == 1
    assert tasks(ticket) == [(inner, "agent", "cancelled"), ("chase", "supervisor", "open")]
    assert fired_events(ticket) == ["reminder"]


def test_a_non_interrupting_boundary_timer_adds_a_chaser_and_leaves_the_work(app, fake_clock):
    deploy(guarded(interrupting=False))
    ticket = start("guarded")
    fake_clock.advance(minutes=31)
    scheduler.sweep()
    assert tasks(ticket) == [("work", "agent", "open"), ("chase", "supervisor", "open")]


def test_work_done_in_time_disarms_the_boundary_timer(app, fake_clock):
    deploy(guarded())
    ticket = start("guarded")
    tickets.complete(users.by_username("agent"), db.session.get(Ticket, ticket.id).tasks[0].id, {})
    assert rows(ticket) == [("reminder", "cancelled")]
    fake_clock.advance(hours=1)
    assert scheduler.sweep() == 0
    assert db.session.get(Ticket, ticket.id).status == "closed"


def test_a_cycle_timer_start_event_starts_the_work_each_cycle(app, fake_clock):
    deploy(guarded(start_cycle="R2/PT1H"))
    ticket = start("guarded")
    assert tasks(ticket) == []
    for _cycle in (1, 2):
        fake_clock.advance(hours=1, seconds=1)
        scheduler.sweep()  # also starts a ticket from the process's schedule (tests/test_schedules.py)
        work, = [t for t in db.session.get(Ticket, ticket.id).tasks if t.state == "open"]
        tickets.complete(users.by_username("agent"), work.id, {})  # in time: its boundary timer is disarmed
    fake_clock.advance(hours=5)
    scheduler.sweep()  # two cycles, no more
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 3  # this one and two scheduled
    assert tasks(ticket) == [("work", "agent", "completed")] * 2
    assert fired_events(ticket) == ["start", "start"]


def test_timers_that_fell_due_during_downtime_fire_at_start_up_in_due_order(app, fake_clock):
    deploy(simple(key="slow", step=TIMER_STEP.replace("{duration}", "PT3H")))
    deploy(simple(key="fast", step=TIMER_STEP.replace("{duration}", "PT1H")))
    late, early = start("slow"), start("fast")
    fake_clock.advance(hours=1)
    middle = start("fast")  # due two hours after start-up of the test
    fake_clock.advance(days=1)  # everything was down for a day
    assert scheduler.sweep() == 3
    fired = db.session.scalars(select(Timer).where(Timer.state == "fired").order_by(Timer.due_at)).all()
    assert [row.ticket_id for row in fired] == [early.id, middle.id, late.id]
    firing_order = sorted(fired, key=lambda row: min(e.id for e in tickets.history(row.ticket)
                                                     if e.kind == "timer_fired"))
    assert [row.ticket_id for row in firing_order] == [early.id, middle.id, late.id]


def test_cancelling_a_ticket_disarms_its_timers(app, fake_clock):
    ticket = waits()
    tickets.cancel(users.by_username("supervisor"), ticket.id, "Customer withdrew")
    assert rows(ticket) == [("step", "cancelled")]
    fake_clock.advance(hours=1)
    assert scheduler.sweep() == 0


def test_the_scheduler_wakes_at_the_next_due_time_and_at_least_each_second(app, fake_clock):
    assert scheduler.next_wake() == fake_clock.now() + scheduler.MAX_SLEEP
    waits("PT10M")
    fake_clock.advance(minutes=10, seconds=-0.5)
    assert scheduler.next_wake() == fake_clock.now() + timedelta(seconds=0.5, milliseconds=1)
    assert timers.next_due() == fake_clock.now() + timedelta(seconds=0.5)


def test_a_timer_with_a_business_calendar_counts_working_time(app, fake_clock):
    fake_clock.current = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # Friday 18:00 in Shanghai, after hours
    on_office_hours = b'<bpmn:extensionElements><spiffworkflow:properties>' \
        b'<spiffworkflow:property name="sla.calendar" value="office"/></spiffworkflow:properties>' \
        b'</bpmn:extensionElements><bpmn:outgoing>f3</bpmn:outgoing>'
    deploy(guarded().replace(b"<bpmn:outgoing>f3</bpmn:outgoing>", on_office_hours, 1))
    ticket = start("guarded")
    monday_nine = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:30 + 30 working minutes, Shanghai
    assert db.session.scalar(select(Timer.due_at).where(Timer.ticket_id == ticket.id)) == monday_nine
    fake_clock.current = datetime(2026, 11, 22, 23, 0, tzinfo=UTC)  # Monday 07:00 in Shanghai: not yet
    assert scheduler.sweep() == 0
    fake_clock.current = monday_nine + timedelta(seconds=1)
    assert scheduler.sweep() == 1
    assert tasks(ticket) == [("work", "agent", "cancelled"), ("chase", "supervisor", "open")]


def test_a_timer_whose_step_fails_is_marked_failed_with_the_reason(app, fake_clock):
    broken = simple(key="broken", step=TIMER_STEP.replace("{duration}", "PT1M"))
    broken = broken.replace(b'<bpmn:userTask id="work"', b'<bpmn:scriptTask id="work"').replace(
        b"</bpmn:userTask>", b"<bpmn:script>x = 1 / 0</bpmn:script></bpmn:scriptTask>")
    deploy(broken)
    ticket = start("broken")
    fake_clock.advance(minutes=2)
    assert scheduler.sweep() == 1
    assert rows(ticket) == [("step", "failed")]
    failure, = [e for e in tickets.history(ticket) if e.kind == "timer_failed"]
    assert failure.data["element"] == "step" and "ZeroDivisionError" in failure.data["error"]
    assert db.session.get(Ticket, ticket.id).status == "incident"  # nothing else waits: it cannot go on
    assert tickets.history(ticket)[-1].kind == "incident"
    assert scheduler.sweep() == 0  # a failed timer is not retried in a loop
