"""Retention plan (bpmn/retention_plan.bpmn): the alert, a library plan and a plan of one's own, the attempt loop,
retained / lost and staying / lost and leaving, the evaluation's figures, and the account manager's SLA."""

from datetime import timedelta
from pathlib import Path

import pytest

from engine import deployments, tickets
from engine.errors import InvalidInput
from tests.process_library import completed, kinds, messages, staff
from tests.process_walk import customer, customer_changes, open_task, sweep, work

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
SIGNAL = {"signal": "competitor_calls", "details": "Forty calls a day to a competitor's sales line",
          "detected_on": "2026-11-20"}
LIBRARY_PLAN = {"plan": "loyalty_discount", "budget": 3000}
OWN_PLAN = {"plan": "custom", "custom_plan": "Dedicated fibre at cost for the head office", "budget": 8000}


def attempt(cost: float, next_step: str) -> dict:
    return {"attempt_on": "2026-11-24", "attempt_channel": "visit", "attempt_result": "Met the IT director",
            "attempt_cost": cost, "next_step": next_step}


def raise_signal(code: str = "G0002"):
    return tickets.start_ticket(staff("agent"), "retention_plan", "Churn risk", customer_id=customer(code).id,
                                data=SIGNAL)


def test_the_diagram_validates_and_the_demo_deployed_it(app):
    assert deployments.validate((BPMN / "retention_plan.bpmn").read_bytes()) == []
    version = deployments.latest_version("retention_plan")
    assert set(version.forms) == {"retention_plan.signal", "retention_plan.choose", "retention_plan.attempt",
                                  "retention_plan.close", "retention_plan.evaluate"}


def test_the_signal_alerts_the_account_manager_who_picks_a_library_plan_and_retains_the_customer(app, fake_clock):
    ticket = raise_signal()
    assert messages(ticket) == [("retention_alert", "email", "manager"), ("retention_alert", "sms", "manager")]
    work(ticket, "choose_plan", "manager", LIBRARY_PLAN)
    fake_clock.advance(days=3)
    work(ticket, "carry_out", "manager", attempt(1200, "close"))
    work(ticket, "close_plan", "manager", {"outcome": "retained", "summary": "Signed for 12 months at -15 %"})
    assert ticket.data["attempts"] == 1 and ticket.data["attempts_cost"] == 1200 and ticket.data["duration_days"] == 3
    work(ticket, "evaluate_plan", "supervisor", {"retention_cost": 4200, "effectiveness": "effective"})
    assert ticket.status == "closed" and kinds(ticket)[-1] == "closed"
    assert completed(ticket) == [("choose_plan", "manager"), ("carry_out", "manager"),
                                       ("close_plan", "manager"), ("evaluate_plan", "supervisor")]
    assert (ticket.data["outcome"], ticket.data["retention_cost"]) == ("retained", 4200)
    assert "churn_reason" not in ticket.data
    assert customer_changes("G0002") == []


@pytest.mark.parametrize("leaves, status, changes", [
    (True, "departed", [("status", "active", "departed")]),  # the customer leaves the network: archived
    (False, "active", []),  # lost part of the business but still a customer
])
def test_an_own_plan_tried_twice_then_lost(app, leaves, status, changes):
    ticket = raise_signal("G0003")
    work(ticket, "choose_plan", "manager", OWN_PLAN)
    work(ticket, "carry_out", "manager", attempt(500, "another_attempt"))
    work(ticket, "carry_out", "manager", attempt(700.5, "close"))
    work(ticket, "close_plan", "manager", {"outcome": "lost", "churn_reason": "competitor_offer",
                                           "customer_leaves": leaves})
    assert (ticket.data["attempts"], ticket.data["attempts_cost"]) == (2, 1200.5)
    work(ticket, "evaluate_plan", "supervisor", {"retention_cost": 1200.5, "effectiveness": "ineffective",
                                                 "lessons": "Their offer was 30 % under ours"})
    assert ticket.status == "closed"
    assert (ticket.data["outcome"], ticket.data["churn_reason"]) == ("lost", "competitor_offer")
    assert customer("G0003").status == status
    assert customer_changes("G0003") == changes
    assert [t.element_id for t in ticket.tasks].count("carry_out") == 2


@pytest.mark.parametrize("element, data, fields", [
    ("choose_plan", {"plan": "custom", "budget": 100}, ["custom_plan"]),  # one's own plan must be written down
    ("choose_plan", {"plan": "free_phones", "budget": -1}, ["budget", "plan"]),
])
def test_a_plan_needs_its_fields(app, element, data, fields):
    ticket = raise_signal()
    with pytest.raises(InvalidInput) as caught:
        work(ticket, element, "manager", data)
    assert sorted(d["field"] for d in caught.value.details) == fields
    assert open_task(ticket, element).state == "claimed"


def test_a_lost_customer_needs_the_churn_reason(app):
    ticket = raise_signal()
    work(ticket, "choose_plan", "manager", LIBRARY_PLAN)
    work(ticket, "carry_out", "manager", attempt(0, "close"))
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "close_plan", "manager", {"outcome": "lost"})
    assert sorted(d["field"] for d in caught.value.details) == ["churn_reason", "customer_leaves"]
    assert caught.value.details[0]["message_zh"] == "“离网原因”为必填项"


def test_an_unanswered_alert_climbs_to_the_supervisor(app, fake_clock):
    """The plan is the account manager's own task from the start (no queue to answer from): its two days run."""
    ticket = raise_signal()
    task = open_task(ticket, "choose_plan")
    assert (task.assignee.username, task.state) == ("manager", "claimed")
    assert task.due_at == fake_clock.now() + timedelta(days=2)
    fake_clock.advance(days=2, seconds=1)
    sweep()
    assert ("sla_breached", "email", "supervisor") in messages(ticket)
    assert [e.kind for e in tickets.history(ticket) if e.kind.startswith("sla")] == ["sla_breached"]
