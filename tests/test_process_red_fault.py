"""The red channel fault process (bpmn/red_fault.bpmn): each decision-table outcome, each branch and loop, the
level-1 escalation ladder and the level-2 supervision with the controlled clock, and the after-care."""

from datetime import timedelta
from pathlib import Path

import pytest

from engine import deployments, tickets
from engine.errors import InvalidInput
from tests.process_library import kinds, messages, staff
from tests.process_walk import customer, customer_changes, open_task, sweep, work

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
REPORT = {"service": "leased_line", "description": "Link down at the port office", "contact_phone": "+86 21 5555"}
ON_SITE = {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"}
NOT_RESTORED = {"cause": "Fibre cut", "action": "Crew splicing", "restored": False}
RESTORED = {"cause": "Fibre cut", "action": "Spliced the fibre", "restored": True}
SATISFIED = {"revisit_done": True, "satisfaction": 5, "compensation_due": False}
UNREACHED = {"revisit_done": False, "compensation_due": False, "notes": "No answer twice"}
BROKEN_PROMISE = {"revisit_done": True, "satisfaction": 2, "compensation_due": True, "notes": "Five hours down"}
COMPENSATION = {"amount": 500, "method": "bill_credit"}


def report(code: str | None, service: str = "leased_line", impact: str = "outage"):
    """Open a fault for the customer and accept it with the impact; returns the ticket."""
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data={**REPORT, "service": service},
                                  customer_id=customer(code).id if code else None)
    work(ticket, "accept_fault", "agent", {"impact": impact, "customer_answered": True})
    return ticket


def test_the_diagram_validates_and_the_demo_deployed_it(app):
    dmn = [p.read_bytes() for p in sorted(BPMN.glob("red_fault*.dmn"))]
    assert deployments.validate((BPMN / "red_fault.bpmn").read_bytes(), dmn) == []
    assert deployments.latest_version("red_fault").model.channel == "red"
    assert set(deployments.latest_version("red_fault").forms) == {
        "red_fault.report", "red_fault.accept", "red_fault.on_site", "red_fault.repair", "red_fault.revisit",
        "red_fault.compensation"}


@pytest.mark.parametrize("code, service, impact, level, first_repair_task", [
    ("G0004", "leased_line", "outage", 1, "dispatch_on_site"),   # critical service down, any tier (C)
    (None, "idc", "outage", 1, "dispatch_on_site"),             # ... also without a known customer
    ("G0002", "internet", "outage", 1, "dispatch_on_site"),     # an A customer's outage
    ("G0001", "voice", "partial", 1, "dispatch_on_site"),       # an A+ customer's partial interruption
    ("G0002", "voice", "partial", 2, "repair_fault_l2"),        # ... but only A+ for a partial one
    ("G0001", "internet", "degraded", 2, "repair_fault_l2"),    # degraded service is level 2 for everyone
    ("G0004", "mobile", "outage", 2, "repair_fault_l2"),        # a C customer's mobile outage
])
def test_the_decision_table_sets_the_level_and_maintenance_is_alerted(app, code, service, impact, level,
                                                                       first_repair_task):
    ticket = report(code, service, impact)
    assert ticket.data["fault_level"] == level  # kept on the ticket for SLA policies and reports
    assert ticket.priority == {1: "urgent", 2: "high"}[level]  # level 1 is tracked tightly (000 §4.3)
    assert [(e.data["previous"], e.data["priority"]) for e in tickets.history(ticket)
            if e.kind == "priority_changed"] == [("normal", ticket.priority)]
    task = open_task(ticket, first_repair_task)
    assert task.role == "tech"
    alert = [m for m in messages(ticket) if m[0] == "fault_alert"]
    assert alert == [("fault_alert", "email", "tech"), ("fault_alert", "sms", "tech")]


def test_level_1_repair_loops_until_restored_then_compensates_a_broken_promise(app):
    ticket = report("G0004")
    work(ticket, "dispatch_on_site", "tech", ON_SITE)
    work(ticket, "repair_fault", "tech", NOT_RESTORED)
    work(ticket, "repair_fault", "tech", RESTORED)
    work(ticket, "revisit_customer", "manager", BROKEN_PROMISE)
    work(ticket, "compensate_customer", "manager", COMPENSATION)
    assert ticket.status == "closed"
    assert [t.element_id for t in ticket.tasks] == ["accept_fault", "dispatch_on_site", "repair_fault",
                                                    "repair_fault", "revisit_customer", "compensate_customer"]
    assert kinds(ticket)[-2:] == ["customer_notified", "closed"]  # the closing notice, then the close
    assert {k: ticket.data[k] for k in ("fault_level", "satisfaction", "revisit_done", "compensation_due")} == {
        "fault_level": 1, "satisfaction": 2, "revisit_done": True, "compensation_due": True}
    luo_bin = "+8613911110005"  # G0004's primary contact
    assert [m for m in messages(ticket) if m[1] == "sms" and m[2] == luo_bin] == [
        (event, "sms", luo_bin) for event in ("notice_opened", "notice_dispatched", "notice_restored",
                                              "compensation_notice", "notice_closed")]
    assert customer_changes("G0004") == []  # a fault changes nothing on the customer's record


@pytest.mark.parametrize("revisit, closes_with", [(SATISFIED, "revisit_customer"), (UNREACHED, "revisit_customer")])
def test_level_2_repair_loops_and_closes_after_the_revisit_without_compensation(app, revisit, closes_with):
    ticket = report("G0001", "internet", "degraded")
    work(ticket, "repair_fault_l2", "tech", NOT_RESTORED)
    work(ticket, "repair_fault_l2", "tech", RESTORED)
    work(ticket, closes_with, "manager", revisit)
    assert ticket.status == "closed"
    assert [t.element_id for t in ticket.tasks] == ["accept_fault", "repair_fault_l2", "repair_fault_l2",
                                                    "revisit_customer"]
    assert [m[0] for m in messages(ticket)] == ["notice_opened", "fault_alert", "fault_alert", "notice_restored",
                                                "notice_closed"]  # no dispatch (level 2), no compensation notice


def test_a_reached_customer_must_give_a_satisfaction(app):
    ticket = report("G0001", "internet", "degraded")
    work(ticket, "repair_fault_l2", "tech", RESTORED)
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "revisit_customer", "manager", {"revisit_done": True, "compensation_due": False})
    assert [d["field"] for d in caught.value.details] == ["satisfaction"]
    assert caught.value.details[0]["message_zh"] == "“客户满意度”为必填项"


def escalations(ticket) -> list[tuple[str, str, str]]:
    """(history kind, task, role or clock) of the SLA lines of the ticket's history."""
    return [(e.kind, e.task.element_id if e.task else "ticket", e.data.get("role") or e.data.get("clock"))
            for e in tickets.history(ticket) if e.kind.startswith("sla_")]


def test_level_1_climbs_the_ladder_to_the_supervisor_then_the_account_manager(app, fake_clock):
    ticket = report("G0004")
    fake_clock.advance(minutes=8, seconds=1)  # 80 % of the 10-minute answer: the maintenance team is warned
    sweep()
    fake_clock.advance(minutes=2)  # 10 minutes unanswered: the supervisor is alerted
    sweep()
    fake_clock.advance(minutes=10)  # another 10 minutes: the account manager too
    sweep()
    assert escalations(ticket) == [("sla_warned", "dispatch_on_site", "response"),
                                   ("sla_breached", "dispatch_on_site", "response"),
                                   ("sla_escalated", "dispatch_on_site", "account_manager")]
    sla_mail = [(event, who) for event, channel, who in messages(ticket)
                if event.startswith("sla") and channel == "email"]
    assert sla_mail == [("sla_warning", "tech"), ("sla_breached", "supervisor"), ("sla_breached", "manager")]
    task = open_task(ticket, "dispatch_on_site")
    assert (task.sla_state, task.priority) == ("breached", "urgent")  # urgent from the start, and it stays so


def test_level_1_restore_target_is_four_hours(app, fake_clock):
    ticket = report("G0004")
    work(ticket, "dispatch_on_site", "tech", ON_SITE)
    repair = open_task(ticket, "repair_fault")
    assert repair.due_at == fake_clock.now() + timedelta(hours=4)
    fake_clock.advance(hours=4, seconds=1)
    sweep()
    assert escalations(ticket)[-1] == ("sla_breached", "repair_fault", "resolution")


def test_level_2_is_supervised_within_24_hours(app, fake_clock):
    ticket = report("G0001", "internet", "degraded")
    task = open_task(ticket, "repair_fault_l2")
    assert (task.due_at - fake_clock.now()).total_seconds() == 24 * 3600
    fake_clock.advance(hours=19, minutes=13)  # 80 %: the maintenance team is warned
    sweep()
    fake_clock.advance(hours=4, minutes=48)  # 24 hours: the supervisor steps in
    sweep()
    task_lines = [line for line in escalations(ticket) if line[1] == "repair_fault_l2"]
    assert task_lines == [("sla_warned", "repair_fault_l2", "resolution"),
                          ("sla_breached", "repair_fault_l2", "resolution")]
    assert ("sla_breached", "email", "supervisor") in messages(ticket)
