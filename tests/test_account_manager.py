"""The customer's own account manager owns the account-manager work (专人负责，一点接触，全面服务; seeds 000 §2,
004 §一): tasks with ``assignee = account_manager``, ``notify_account_manager`` and an SLA rung ``account_manager``
reach that one person, never the whole manager role; without one who can act the work waits in the manager queue
and the supervisors are told, once per ticket."""

import pytest

from engine import tickets
from engine.db import db
from engine.directory import branches, users
from tests.process_library import messages, staff
from tests.process_walk import customer, open_task, sweep, work

SIGNAL = {"signal": "competitor_calls", "details": "Forty calls a day to a competitor", "detected_on": "2026-11-20"}
REPORT = {"service": "voice", "description": "Half the extensions are silent", "contact_phone": "+86 21 5555"}


def retention(code: str = "G0001"):
    return tickets.start_ticket(staff("agent"), "retention_plan", "Churn risk", customer_id=customer(code).id,
                                data=SIGNAL)


def recipients(ticket, event: str) -> set[str]:
    return {who for e, _channel, who in messages(ticket) if e == event}


def test_g0001s_retention_alert_and_task_go_to_its_manager_only_not_pudong(app):
    """Regression: both `pudong` and `manager` manage in G0001's branch; G0001's account manager is `manager`."""
    ticket = retention("G0001")
    assert recipients(ticket, "retention_alert") == {"manager"}
    task = open_task(ticket, "choose_plan")
    assert (task.assignee.username, task.state, task.role) == ("manager", "claimed", "manager")
    assert not [m for m in messages(ticket) if m[0] == "account_manager_missing"]


def test_g0001s_fault_breach_climbs_to_its_manager_only_not_pudong(app, fake_clock):
    """red_fault's level-1 ladder is supervisor, then account_manager (000 §4.3: the account manager follows the
    repair of a key account's fault)."""
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT, customer_id=customer("G0001").id)
    work(ticket, "accept_fault", "agent", {"impact": "partial", "customer_answered": True})
    open_task(ticket, "dispatch_on_site")
    fake_clock.advance(minutes=10, seconds=1)
    sweep()
    fake_clock.advance(minutes=10)
    sweep()
    breach_mail = [who for event, channel, who in messages(ticket) if event == "sla_breached" and channel == "email"]
    assert breach_mail == ["supervisor", "manager"]


def test_the_account_managers_after_care_is_theirs_on_a_fault(app):
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data={**REPORT, "service": "internet"},
                                  customer_id=customer("G0001").id)
    work(ticket, "accept_fault", "agent", {"impact": "degraded", "customer_answered": True})
    work(ticket, "repair_fault_l2", "tech", {"cause": "Card", "action": "Swapped", "restored": True})
    revisit = open_task(ticket, "revisit_customer")
    assert (revisit.assignee.username, revisit.state) == ("manager", "claimed")
    with pytest.raises(Exception, match="claimed by manager"):
        tickets.complete(staff("pudong"), revisit.id, {"revisit_done": False, "compensation_due": False})


def _no_manager(code: str) -> None:
    customer(code).account_manager = None
    db.session.commit()


def _inactive_manager(code: str) -> None:
    customer(code).account_manager.active = False
    db.session.commit()


def _manager_elsewhere(code: str) -> None:
    """An account manager working in another city branch, who cannot see the customer's tickets."""
    other = users.create_user("minhang_am", "secret-pass-1", ["manager"], "Minhang AM", "mh@keydesk.example",
                              None, branches.by_code("SH-MH"))
    customer(code).account_manager = other
    db.session.commit()


@pytest.mark.parametrize("break_it, managers_on_duty", [(_no_manager, {"manager", "pudong"}),
                                                        (_inactive_manager, {"pudong"}),
                                                        (_manager_elsewhere, {"manager", "pudong"})])
def test_without_a_manager_who_can_act_the_work_waits_in_the_queue_and_the_supervisor_is_told_once(
        app, break_it, managers_on_duty):
    break_it("G0001")
    ticket = retention("G0001")
    task = open_task(ticket, "choose_plan")
    assert (task.assignee, task.state, task.role) == (None, "open", "manager")
    assert recipients(ticket, "retention_alert") == managers_on_duty  # the manager role, active, in the branch
    work(ticket, "choose_plan", "pudong", {"plan": "loyalty_discount", "budget": 3000})
    assert open_task(ticket, "carry_out").assignee is None  # a second manager task: no second word
    told = [(channel, who) for event, channel, who in messages(ticket) if event == "account_manager_missing"]
    assert told == [("email", "supervisor"), ("sms", "supervisor")]
    assert [e.kind for e in tickets.history(ticket)].count("account_manager_missing") == 1
