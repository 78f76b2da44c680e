"""Green channel order (bpmn/green_order.bpmn), calling contract approval: every path, each loop, the SLA ladder
of a tracked construction step; the order closes when delivered and recorded (004 §四.1.7–1.8), its signed contract
on the customer's record."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import contracts, customers, deployments, scheduler, tickets, timers
from engine.db import db
from engine.directory import users
from engine.models import Customer
from notifications.outbox import OutboxMessage
from tests.process_library import completed, messages
from tests.test_process_contract_approval import PATHS as CONTRACT_PATHS
from tests.test_process_contract_approval import SUPERVISOR_ALERT, WORKED_BY
from tests.walk import open_steps, open_tasks, reload, walk

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
REQUEST = {"service": "leased_line", "requirement": "A 1 Gbit/s line to the new warehouse"}
VISIT = {"visit_date": "2026-11-24", "contact_name": "Gao Feng", "contact_phone": "+8613911112222",
         "site_address": "88 Harbour Road, Pudong", "technical_preparation": True}
SOLUTION = {"resource_survey": "Fibre 300 m from the warehouse", "investment_estimate": 120000,
            "payback_months": 18, "solution": "New fibre spur and an access switch", "feasible": True,
            "engineering_needed": True}
SIGNED = CONTRACT_PATHS["signed within the director's authority"][0]
REJECTED = CONTRACT_PATHS["the director rejects"][0]
CONSTRUCTION = [("request_start", {"requested_start": "2026-12-01", "work_scope": "Fibre spur and switch"}),
                ("plan_construction", {"planned_start": "2026-12-01", "planned_finish": "2026-12-20",
                                       "plan": "Dig, pull fibre, splice, install", "crew": "Team 3"})]
PROGRESS = ("update_progress", {"progress_percent": 40, "progress_note": "Fibre pulled", "construction_done": False})
FINISHED = ("update_progress", {"progress_percent": 100, "progress_note": "Spliced and tested",
                                "construction_done": True})
ACTIVATION = {"activation_date": "2027-01-05", "billing_start": "2027-01-06"}
DELIVERY = [("set_activation", ACTIVATION),
            ("project_records", {"archive_ref": "GO-2026-0042", "documents": ["contract", "acceptance_report"]})]
PRIMARY_CONTACT = "+8613911110004"  # Tang Mei, G0003's primary contact: customer notices go to her
NOTICE = ("activation_notice", "sms", PRIMARY_CONTACT)
PROGRESS_NOTICE = ("notice_progress", "sms", PRIMARY_CONTACT)  # one per construction progress update
FILED = ("contract", None, "HT-2026-0101")  # the signed contract, in the customer's history
REFUSED = [*SUPERVISOR_ALERT, ("contract_refused_notice", "sms", PRIMARY_CONTACT)]

WORKED = {**WORKED_BY, "complete_work_order": "business", "technical_solution": "tech",
          **dict.fromkeys(["request_start", "plan_construction", "update_progress", "joint_acceptance"], "engineer")}
PATHS = {
    "standard order done by the business department": (
        [("record_visit", {**VISIT, "technical_preparation": False}),
         ("complete_work_order", {"work_order_no": "WO-88172", "completed_on": "2026-11-26"}), *DELIVERY],
        [NOTICE], []),
    "not feasible: the customer becomes a prospect": (
        [("record_visit", VISIT), ("technical_solution", {**SOLUTION, "feasible": False,
                                                          "infeasible_reason": "No duct on Harbour Road"})],
        [], [("status", "active", "prospect")]),
    "contract rejected: the order ends": (
        [("record_visit", VISIT), ("technical_solution", SOLUTION), *REJECTED], REFUSED, []),
    "contract signed, no construction": (
        [("record_visit", VISIT), ("technical_solution", {**SOLUTION, "engineering_needed": False}), *SIGNED,
         *DELIVERY], [NOTICE], [FILED]),
    "contract signed, construction with a progress loop and a failed acceptance": (
        [("record_visit", VISIT), ("technical_solution", SOLUTION), *SIGNED, *CONSTRUCTION, PROGRESS, FINISHED,
         ("joint_acceptance", {"acceptance_date": "2026-12-21", "accepted": False,
                               "acceptance_issues": "Label the patch panel"}),
         FINISHED, ("joint_acceptance", {"acceptance_date": "2026-12-23", "accepted": True}), *DELIVERY],
        [PROGRESS_NOTICE] * 3 + [NOTICE], [FILED]),
}


@pytest.fixture
def customer(app):
    return db.session.scalar(select(Customer).where(Customer.code == "G0003"))


def start(customer: Customer):
    return tickets.start_ticket(users.by_username("manager"), "green_order", "Warehouse leased line",
                                customer_id=customer.id, data=REQUEST)


@pytest.mark.parametrize("steps, sent, changed", PATHS.values(), ids=PATHS.keys())
def test_each_path_ends_with_its_steps_messages_and_customer_changes(fake_clock, customer, steps, sent, changed):
    ticket = start(customer)
    assert ticket.channel == "green"
    walk(ticket.id, steps)
    ticket = reload(ticket)
    assert completed(ticket) == [(element, WORKED.get(element, "manager")) for element, _ in steps]
    assert open_steps(ticket.id) == []
    assert ticket.status == "closed"  # delivered and recorded: no timer waits for the contract's end
    assert timers.armed(ticket, "bpmn") == []
    signed = any(element == "sign_contract" for element, _ in steps)
    assert [(c.number, c.end_date) for c in contracts.of(customer) if c.ticket_id == ticket.id] == (
        [("HT-2026-0101", date(2027, 6, 30))] if signed else [])
    assert messages(ticket) == sent
    assert [(c.field, c.old, c.new) for c in customers.history(customer)] == changed
    assert all(c.ticket_id == ticket.id and ("No duct" in c.reason or ticket.number in c.reason)
               for c in customers.history(customer))


def test_the_activation_notice_tells_the_customer_both_dates(app, customer):
    ticket = start(customer)
    walk(ticket.id, PATHS["standard order done by the business department"][0])
    body = db.session.scalar(select(OutboxMessage.body).where(OutboxMessage.ticket_id == ticket.id,
                                                              OutboxMessage.event == "activation_notice"))
    assert "2027-01-05" in body and "2027-01-06" in body


@pytest.mark.parametrize("language, words", [
    ("zh_CN", ["施工进度", "已完成 40%（Fibre pulled）", "已完成 100%（Spliced and tested）"]),
    ("en", ["Construction progress", "is 40% done: Fibre pulled", "is 100% done: Spliced and tested"])])
def test_each_progress_update_tells_the_primary_contact_once_in_the_customers_language(fake_clock, customer,
                                                                                       language, words):
    """004 §四.1.7 (及时通知大客户相关接入工程的进展情况): each update is one SMS with its own text, days apart."""
    customers.change(customer, {"language": language}, "the customer asked")
    ticket = start(customer)
    walk(ticket.id, [("record_visit", VISIT), ("technical_solution", SOLUTION), *SIGNED, *CONSTRUCTION])
    subject, first, second = words
    for step, text in ((PROGRESS, first), (FINISHED, second)):
        fake_clock.advance(days=4)
        walk(ticket.id, [step])
        sent = list(db.session.execute(select(OutboxMessage.address, OutboxMessage.subject, OutboxMessage.body)
                                       .where(OutboxMessage.ticket_id == ticket.id,
                                              OutboxMessage.event == "notice_progress")
                                       .order_by(OutboxMessage.id)))
        address, title, body = sent[-1]
        assert (address, subject in title, text in body) == (PRIMARY_CONTACT, True, True)
    assert len(sent) == 2  # exactly one per update
    assert [e.data["event"] for e in tickets.history(reload(ticket)) if e.kind == "customer_notified"] == [
        "notice_progress", "notice_progress"]


def test_delivery_starts_when_the_contract_is_signed(app, customer):
    ticket = start(customer)
    walk(ticket.id, [("record_visit", VISIT), ("technical_solution", SOLUTION), *SIGNED[:-1]])
    assert open_steps(ticket.id) == [("sign_contract", "manager")]  # the contract's lane, inside the order
    walk(ticket.id, SIGNED[-1:])
    assert open_steps(ticket.id) == [("request_start", "engineering")]


def test_an_overdue_progress_update_is_flagged_and_escalated(fake_clock, customer):
    ticket = start(customer)
    walk(ticket.id, [("record_visit", VISIT), ("technical_solution", SOLUTION), *SIGNED, *CONSTRUCTION])
    task, = open_tasks(ticket.id)
    assert (task.element_id, task.due_at) == ("update_progress", fake_clock.now() + timedelta(days=5))
    for days in (3, 2, 5):  # warning at 60 %, breach at five days, one more period: the next rung
        fake_clock.advance(days=days, seconds=1)
        scheduler.sweep()
    ticket = reload(ticket)
    task, = open_tasks(ticket.id)
    assert (task.sla_state, task.priority) == ("breached", "high")
    ladder = [(e.kind, e.data.get("role")) for e in tickets.history(ticket) if e.kind.startswith("sla_")]
    assert ladder == [("sla_warned", None), ("sla_breached", None), ("sla_escalated", "director")]
    assert [m for m in messages(ticket) if m[0].startswith("sla_")] == [
        ("sla_warning", "email", "engineer"), ("sla_warning", "sms", "engineer"),
        ("sla_breached", "email", "supervisor"), ("sla_breached", "sms", "supervisor"),
        ("sla_breached", "email", "director"), ("sla_breached", "sms", "director")]


def test_the_shipped_diagram_validates_against_the_deployed_contract_and_the_demo_deployed_it(app):
    assert deployments.validate((BPMN / "green_order.bpmn").read_bytes()) == []
    version = deployments.latest_version("green_order")
    assert version.model.channel == "green"
    assert deployments.latest_version("contract_approval").bpmn_xml in version.called_xml
