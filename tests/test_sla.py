"""SLA clocks: response and resolution, warning, breach, the escalation ladder, pause, policies and calendars."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import deployments, scheduler, tickets
from engine.db import db
from engine.directory import users
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.models import HumanTask, SlaClock, Ticket, User
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import simple

LADDER = {"sla.response": "PT10M", "sla.resolution": "PT1H", "sla.warn": "50",
          "sla.escalate_to": "supervisor,admin", "sla.reassign": "true"}


def staff(name: str):
    return users.by_username(name)


def open_ticket(props: dict[str, str] | None = None, customer_id: int | None = None, **process) -> HumanTask:
    deployments.deploy(staff("supervisor"), simple(key="promised", work_props=props or LADDER, **process))
    ticket = tickets.start_ticket(staff("agent"), "promised", "SLA test", customer_id=customer_id)
    return ticket.tasks[0]


def clocks(task: HumanTask) -> dict[str, SlaClock]:
    db.session.expire_all()
    return {c.kind: c for c in db.session.scalars(select(SlaClock).where(SlaClock.task_id == task.id))}


def kinds(task: HumanTask) -> list[str]:
    return [e.kind for e in tickets.history(task.ticket) if e.kind.startswith("sla_") or e.kind == "reassigned"]


def messages() -> list[tuple[str, str, str]]:
    """(event, recipient, channel) of every queued message, oldest first."""
    query = (select(OutboxMessage.event, User.username, OutboxMessage.channel)
             .join(User, User.id == OutboxMessage.recipient_id).order_by(OutboxMessage.id))
    return [tuple(row) for row in db.session.execute(query)]


def test_a_task_gets_response_and_resolution_clocks_from_its_diagram(app, fake_clock):
    task = open_ticket()
    found = clocks(task)
    assert found["response"].due_at == fake_clock.now() + timedelta(minutes=10)
    assert found["resolution"].due_at == fake_clock.now() + timedelta(hours=1)
    assert found["resolution"].warn_at == fake_clock.now() + timedelta(minutes=30)
    assert task.due_at == found["response"].due_at  # the inbox sorts by the nearest promise


def test_claiming_in_time_meets_the_response_clock(app, fake_clock):
    task = open_ticket()
    fake_clock.advance(minutes=4)
    tickets.claim(staff("agent"), task.id)
    found = clocks(task)
    assert (found["response"].state, found["response"].met_at) == ("met", fake_clock.now())
    assert found["resolution"].state == "pending"


def test_a_met_response_leaves_the_badge_and_sort_to_the_resolution_clock(app, fake_clock):
    from engine import inbox

    task = open_ticket({"sla.response": "PT10M", "sla.resolution": "PT45M"})
    fake_clock.advance(minutes=1)
    tickets.claim(staff("agent"), task.id)
    fake_clock.advance(minutes=9)  # the response deadline: met at minute 1, nothing is late
    assert scheduler.sweep() == 0
    db.session.expire_all()
    assert task.due_at == clocks(task)["resolution"].due_at
    row = inbox.inbox(staff("agent"), view="mine")[0]
    assert row.sla(fake_clock.now()) == "on_track"
    fake_clock.advance(minutes=36)  # past the resolution deadline: now it is late
    scheduler.sweep()
    db.session.expire_all()
    assert inbox.inbox(staff("agent"), view="mine")[0].sla(fake_clock.now()) == "breached"


def test_a_late_response_once_met_no_longer_marks_the_task_breached(app, fake_clock):
    task = open_ticket({"sla.response": "PT10M", "sla.resolution": "PT2H"})
    fake_clock.advance(minutes=11)
    scheduler.sweep()
    db.session.expire_all()
    assert task.sla_state == "breached"
    tickets.claim(staff("agent"), task.id)
    db.session.expire_all()
    assert (task.sla_state, task.priority) == (None, "high")  # the breach stays on record and in the priority
    assert clocks(task)["response"].state == "breached"


def test_the_ladder_warns_breaches_and_climbs_exactly_once(app, fake_clock):
    task = open_ticket({**LADDER, "sla.response": "PT2H"})
    tickets.claim(staff("agent"), task.id)

    fake_clock.advance(minutes=31)
    scheduler.sweep()
    assert clocks(task)["resolution"].state == "warned" and task.sla_state == "warned"
    assert messages() == [("sla_warning", "agent", "email"), ("sla_warning", "agent", "sms")]
    subject = db.session.scalars(select(OutboxMessage.subject)).first()
    assert subject.startswith(f"[{task.ticket.number}]")

    fake_clock.advance(minutes=30)
    scheduler.sweep()
    db.session.expire_all()
    assert clocks(task)["resolution"].state == "breached"
    assert (task.priority, task.sla_state, task.role, task.assignee, task.state) == (
        "high", "breached", "supervisor", None, "open")
    assert messages()[2:] == [("sla_breached", "supervisor", "email"), ("sla_breached", "supervisor", "sms")]

    fake_clock.advance(hours=1)
    scheduler.sweep()
    db.session.expire_all()
    assert (task.role, clocks(task)["resolution"].rung) == ("admin", 2)
    assert messages()[4:] == [("sla_breached", "admin", "email"), ("sla_breached", "admin", "sms")]

    fake_clock.advance(hours=5)
    assert scheduler.sweep() == 0  # the ladder has no more rungs
    assert kinds(task) == ["sla_warned", "sla_breached", "reassigned", "sla_escalated", "reassigned"]
    assert len(messages()) == 6


def test_completing_after_a_breach_keeps_the_breach_on_record(app, fake_clock):
    task = open_ticket({"sla.resolution": "PT1H"})
    fake_clock.advance(hours=2)
    scheduler.sweep()
    tickets.complete(staff("agent"), task.id, {})
    clock = clocks(task)["resolution"]
    assert (clock.state, clock.breached_at, clock.met_at) == (
        "breached", fake_clock.now(), fake_clock.now())


def test_a_breach_without_a_ladder_alerts_the_role(app, fake_clock):
    task = open_ticket({"sla.resolution": "PT1H", "sla.warn": "80"})
    fake_clock.advance(minutes=61)
    scheduler.sweep()  # warning and breach were both due: the breach wins
    assert kinds(task) == ["sla_breached"]
    assert {m[:2] for m in messages()} == {("sla_breached", "agent")}


def test_waiting_on_the_customer_pauses_the_clock(app, fake_clock):
    task = open_ticket({"sla.resolution": "PT1H", "sla.warn": "50"})
    ticket_id, due = task.ticket_id, clocks(task)["resolution"].due_at
    fake_clock.advance(minutes=20)
    tickets.pause(staff("agent"), ticket_id, "Waiting for the customer's router serial number")
    with pytest.raises(Conflict, match="already waits"):
        tickets.pause(staff("agent"), ticket_id, "again")
    fake_clock.advance(hours=3)
    assert scheduler.sweep() == 0  # nothing warns or breaches while paused
    tickets.resume(staff("agent"), ticket_id)
    clock = clocks(task)["resolution"]
    assert (clock.due_at, clock.paused_seconds, clock.state) == (due + timedelta(hours=3), 3 * 3600, "pending")
    assert tickets.history(db.session.get(Ticket, ticket_id))[-1].data == {
        "paused_seconds": 10800, "waited_seconds": 10800}
    fake_clock.advance(minutes=11)
    scheduler.sweep()
    assert clocks(task)["resolution"].state == "warned"
    with pytest.raises(Conflict, match="not waiting"):
        tickets.resume(staff("agent"), ticket_id)


def test_a_breached_response_once_met_is_left_alone_by_pause_and_resume(app, fake_clock):
    task = open_ticket({"sla.response": "PT10M", "sla.resolution": "PT2H", "sla.escalate_to": "supervisor,admin"})
    fake_clock.advance(minutes=11)
    scheduler.sweep()  # the response breaches: the first rung (supervisor) is alerted
    fake_clock.advance(minutes=1)
    tickets.claim(staff("agent"), task.id)  # taken, late
    response = clocks(task)["response"]
    met_at, due, alerted = response.met_at, response.due_at, messages()
    assert (response.state, met_at, response.rung) == ("breached", fake_clock.now(), 1)

    fake_clock.advance(minutes=1)
    tickets.pause(staff("agent"), task.ticket_id, "Waiting for the customer's site access")
    fake_clock.advance(hours=2)
    tickets.resume(staff("agent"), task.ticket_id)
    found = clocks(task)
    assert (found["response"].paused_seconds, found["response"].due_at, found["response"].met_at) == (0, due, met_at)
    assert found["resolution"].paused_seconds == 2 * 3600  # the running clock did wait

    fake_clock.advance(minutes=30)  # past where a re-armed ladder would climb to admin
    assert scheduler.sweep() == 0
    assert messages() == alerted and "sla_escalated" not in kinds(task)
    assert clocks(task)["response"].rung == 1


def test_a_policy_gives_top_tier_customers_a_tighter_clock(app, fake_clock):
    from engine import sla_config

    sla_config.save_policy(staff("admin"), {"name": "A+ faults", "customer_tier": "A+", "resolution": "PT30M"})
    with pytest.raises(Forbidden):
        sla_config.save_policy(staff("supervisor"), {"name": "x"})
    with pytest.raises(InvalidInput, match="resolution, channel"):
        sla_config.save_policy(staff("admin"), {"name": "bad", "resolution": "soon", "channel": "blue"})
    top = open_ticket({"sla.resolution": "PT4H"}, customer_id=1)  # G0001 is A+
    plain = tickets.start_ticket(staff("agent"), "promised", "C customer", customer_id=4).tasks[0]
    assert clocks(top)["resolution"].due_at == fake_clock.now() + timedelta(minutes=30)
    assert clocks(plain)["resolution"].due_at == fake_clock.now() + timedelta(hours=4)


def test_office_hours_move_a_friday_evening_target_to_monday(app, fake_clock):
    fake_clock.current = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday 17:00 in Shanghai
    task = open_ticket({"sla.resolution": "PT4H", "sla.calendar": "office"})
    monday_noon = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # Monday 12:00 in Shanghai
    assert clocks(task)["resolution"].due_at == monday_noon


def test_a_ticket_clock_from_the_process_is_met_when_the_ticket_closes(app, fake_clock):
    deployments.deploy(staff("supervisor"), simple(key="promised").replace(
        b'<spiffworkflow:property name="channel" value="yellow"/>',
        b'<spiffworkflow:property name="channel" value="yellow"/>'
        b'<spiffworkflow:property name="sla.resolution" value="P1D"/>'))
    ticket = tickets.start_ticket(staff("agent"), "promised", "whole ticket")
    fake_clock.advance(hours=2)
    tickets.complete(staff("agent"), ticket.tasks[0].id, {})
    clock, = [c for c in tickets.sla_clocks(ticket) if c.task_id is None]
    assert (clock.kind, clock.state, clock.met_at) == ("resolution", "met", fake_clock.now())
