"""The yellow channel billing and dunning process: every path from the arrears to payment or a lower credit level."""

import pytest
from sqlalchemy import func, select

import run
from engine import customers, runtime, scheduler, tickets
from engine.db import db
from engine.errors import ProcessError
from engine.models import Customer, Ticket
from notifications.outbox import OutboxMessage
from tests.process_library import (
    BPMN_DIR,
    completed,
    kinds,
    layout_problems,
    messages,
    open_tasks,
    problems,
    staff,
    task,
    work,
)

# demo customers: (id, code, tier, credit level)
TOP, A_GROUP, B_GROUP, C_GROUP, C_PERSON = 1, 2, 3, 4, 7  # G0001 A+ red, G0002 A red, G0003 B grey, G0004 C red,
# P0003 C black
ARREARS = {"billing_period": "2026-10", "overdue_since": "2026-11-15"}
ATTEMPT = {"contact_result": "unreachable", "attempt_notes": "No answer"}
UNPAID = {"paid": False, "paid_amount": 0}
WAIT = ("wait", None, None)  # the three days the process waits for payment after each attempt


def check(amount: float, confirmed: bool = True) -> tuple:
    return ("check_account", "billing", {"contract_number": "HT-2025-0042", "contract_status": "valid",
                                         "arrears_amount": amount, "arrears_confirmed": confirmed})


def paid(amount: float) -> tuple:
    return ("check_payment", "billing", {"paid": True, "paid_amount": amount})


def failed_attempts(attempt: str | None) -> list:
    """Three attempts (by a person, or an SMS when None), each followed by the wait and an unpaid result."""
    one = [(attempt, "manager" if attempt == "manager_attempt" else "billing", ATTEMPT)] if attempt else []
    return [*one, WAIT, ("check_payment", "billing", UNPAID)] * 3


def credit(confirmed: bool) -> tuple:
    return ("confirm_credit", "supervisor", {"credit_confirmed": confirmed,
                                             "credit_reason": "Three reminders ignored" if confirmed else "Pays late"})


def decide(decision: str) -> tuple:
    return ("decide_service", "manager", {"service_decision": decision, "decision_reason": "Strategic account"})


def reminders(phone: str, count: int) -> list:
    return [("dunning_reminder", "sms", phone)] * count


SUSPENSION = [("process_message", "email", "business"), ("process_message", "sms", "business")]
PHONE = {C_PERSON: "+8613900000007"}
PATHS = {
    # name: (customer, amount, steps, messages, credit level before → after)
    "the check finds no arrears": (
        C_GROUP, 8000, [check(0, confirmed=False)], [], ("red", "red")),
    "paid after one SMS reminder": (
        C_PERSON, 300, [check(300), WAIT, paid(300)],
        [*reminders(PHONE[C_PERSON], 1), ("customer_notice", "sms", PHONE[C_PERSON])], ("black", "black")),
    "paid after the second SMS reminder": (
        C_PERSON, 300, [check(300), WAIT, ("check_payment", "billing", UNPAID), WAIT, paid(300)],
        [*reminders(PHONE[C_PERSON], 2), ("customer_notice", "sms", PHONE[C_PERSON])], ("black", "black")),
    "three failed voice calls: suspended automatically, credit red → grey confirmed": (
        C_GROUP, 8000, [check(8000), *failed_attempts("voice_reminder"), credit(True)],
        SUSPENSION, ("red", "grey")),
    "three failed manager calls: suspended automatically, credit grey → black confirmed": (
        B_GROUP, 20000, [check(20000), *failed_attempts("manager_attempt"), credit(True)],
        SUSPENSION, ("grey", "black")),
    "an A customer's manager keeps the service; the supervisor rejects lowering the credit": (
        A_GROUP, 60000, [check(60000), *failed_attempts("manager_attempt"), decide("keep_service"), credit(False)],
        [], ("red", "red")),
    "an A+ customer's manager suspends the service; credit red → grey confirmed": (
        TOP, 1000, [check(1000), *failed_attempts("manager_attempt"), decide("suspend_service"), credit(True)],
        SUSPENSION, ("red", "grey")),
    "three SMS reminders ignored: suspended, credit already black stays black": (
        C_PERSON, 300, [check(300), *failed_attempts(None), credit(True)],
        [*reminders(PHONE[C_PERSON], 3), *SUSPENSION], ("black", "black")),
}


def open_dunning(customer_id: int, amount: float) -> Ticket:
    return tickets.start_ticket(staff("billing"), "yellow_dunning", "Arrears October", customer_id=customer_id,
                                data={**ARREARS, "arrears_amount": amount})


def walk_with_waits(ticket: Ticket, fake_clock, steps) -> None:
    """Complete each task as its user; WAIT lets three days pass and the scheduler fire the payment timer."""
    for element_id, username, data in steps:
        if element_id == "wait":
            fake_clock.advance(days=3, minutes=1)
            scheduler.sweep()
        else:
            work(ticket, element_id, username, data)


LONGEST = "an A+ customer's manager suspends the service; credit red → grey confirmed"  # also walked on PostgreSQL


@pytest.mark.parametrize("path, backend", [*((path, "sqlite") for path in PATHS),
                                           pytest.param(LONGEST, "postgres", marks=pytest.mark.postgres)])
def test_every_path_from_arrears_to_close(app, fake_clock, path, backend):
    customer_id, amount, steps, expected_messages, (before, after) = PATHS[path]
    customer = db.session.get(Customer, customer_id)
    assert customer.credit_level == before
    ticket = open_dunning(customer_id, amount)
    walk_with_waits(ticket, fake_clock, steps)

    assert (ticket.status, open_tasks(ticket)) == ("closed", [])
    assert completed(ticket) == [(element, who) for element, who, _ in steps if element != "wait"]
    assert kinds(ticket).count("timer_fired") == sum(step == WAIT for step in steps)
    assert messages(ticket) == expected_messages
    db.session.refresh(customer)
    history = [(c.field, c.old, c.new, c.ticket_id) for c in customers.history(customer)]
    assert (customer.credit_level, history) == (after, [] if before == after else [
        ("credit_level", before, after, ticket.id)])


@pytest.mark.parametrize("customer_id, amount, method, cut_off", [
    (TOP, 1000, "visit", "manual"),
    (A_GROUP, 60000, "visit", "manual"),
    (A_GROUP, 49999.99, "manager_call", "manual"),
    (B_GROUP, 10000, "manager_call", "automatic"),
    (B_GROUP, 500, "voice", "automatic"),
    (C_GROUP, 5000, "voice", "automatic"),
    (C_GROUP, 4999, "sms", "automatic"),
])
def test_the_decision_table_picks_the_method_by_tier_and_amount(app, customer_id, amount, method, cut_off):
    ticket = open_dunning(customer_id, 1)
    work(ticket, *check(amount))  # the amount the check confirms is the one that counts
    waiting = {"sms": [], "voice": ["voice_reminder"]}.get(method, ["manager_attempt"])
    assert open_tasks(ticket) == waiting
    assert [m[0] for m in messages(ticket)] == (["dunning_reminder"] if method == "sms" else [])
    data = next(t.data for t in runtime.load(ticket).get_tasks() if "method" in t.data)
    assert (data["method"], data["cut_off"], data["customer"]["tier"]) == (
        method, cut_off, db.session.get(Customer, customer_id).tier)


def test_the_sms_reminder_tells_the_customer_what_is_owed_through_the_dunning_template(app):
    ticket = open_dunning(C_PERSON, 300)
    work(ticket, *check(280.5))  # the amount billing confirmed
    (event, subject, body), = db.session.execute(select(OutboxMessage.event, OutboxMessage.subject, OutboxMessage.body)
                                                 .where(OutboxMessage.ticket_id == ticket.id))
    assert (event, subject) == ("dunning_reminder", f"[{ticket.number}] 缴费提醒")  # the desk's language: Chinese
    assert "280.5 元" in body and ticket.number in body


def test_the_payment_check_waits_three_days_after_the_attempt(app, fake_clock):
    ticket = open_dunning(C_PERSON, 300)
    work(ticket, *check(300))
    assert open_tasks(ticket) == []  # the reminder went out; now the process waits for the money
    fake_clock.advance(days=2, hours=23, minutes=59)
    scheduler.sweep()
    assert open_tasks(ticket) == [] and "timer_fired" not in kinds(ticket)
    fake_clock.advance(minutes=2)
    scheduler.sweep()
    assert open_tasks(ticket) == ["check_payment"]
    assert kinds(ticket).count("timer_fired") == 1


def test_a_service_decision_left_too_long_is_escalated_to_the_supervisor(app, fake_clock):
    ticket = open_dunning(A_GROUP, 60000)
    walk_with_waits(ticket, fake_clock, [check(60000), *failed_attempts("manager_attempt")])
    decision = task(ticket, "decide_service")
    tickets.claim(staff("manager"), decision.id)
    fake_clock.advance(days=2, minutes=1)
    scheduler.sweep()  # warning and breach are both due: the breach wins
    db.session.refresh(decision)
    assert (decision.sla_state, decision.priority) == ("breached", "high")
    assert messages(ticket) == [("sla_breached", "email", "supervisor"), ("sla_breached", "sms", "supervisor")]
    work(ticket, *decide("keep_service"))
    assert open_tasks(ticket) == ["confirm_credit"]


def test_dunning_needs_a_customer(app):
    with pytest.raises(ProcessError, match="has no customer"):
        tickets.start_ticket(staff("billing"), "yellow_dunning", "Arrears", data={**ARREARS, "arrears_amount": 10})
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_diagram_and_its_decision_table_validate(app):
    assert problems("yellow_dunning") == []
    assert layout_problems("yellow_dunning") == []


def test_the_command_line_deploys_it_with_its_decision_table(app, capsys):
    files = [str(BPMN_DIR / "yellow_dunning.bpmn"), str(BPMN_DIR / "yellow_dunning.dmn")]
    assert run.deploy(app, files, "from the command line") == 0
    assert "deployed yellow_dunning version 2" in capsys.readouterr().out
