"""The yellow channel billing and dunning process (004 §四.2.1, §三.2.5): every path from the arrears to payment,
no dunning or a lower credit level; the review of the high tiers, the step-up after a failed attempt, the wait set by
the customer's promised date, and the arrears and outcome on the customer's record."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

import run
from engine import customers, runtime, scheduler, tickets
from engine.db import db
from engine.errors import InvalidInput, ProcessError
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
UNPAID = ("check_payment", "billing", {"paid": False, "paid_amount": 0})
WAIT = ("wait", None, None)  # the three days the process waits for payment after an attempt without a promise


def check(amount: float, confirmed: bool = True) -> tuple:
    return ("check_account", "billing", {"contract_number": "HT-2025-0042", "contract_status": "valid",
                                         "arrears_amount": amount, "arrears_confirmed": confirmed})


def paid(amount: float) -> tuple:
    return ("check_payment", "billing", {"paid": True, "paid_amount": amount})


def failed(step: str) -> list:
    """One attempt that brings no money: the SMS goes out by itself, the voice call is billing's, a call or a visit
    the account manager's; then the wait and the unpaid result."""
    by = {"sms": [], "voice": [("voice_reminder", "billing", ATTEMPT)],
          "manager": [("manager_attempt", "manager", ATTEMPT)]}[step]
    return [*by, WAIT, UNPAID]


def review(method: str | None = None, dun: bool = True) -> tuple:
    answer = {"dun": dun, "review_reason": "Quarterly payer by arrangement" if not dun else "Agreed with billing"}
    return ("review_dunning", "manager", {**answer, **({"method": method} if method else {})})


def credit(confirmed: bool) -> tuple:
    return ("confirm_credit", "supervisor", {"credit_confirmed": confirmed,
                                             "credit_reason": "Three reminders ignored" if confirmed else "Pays late"})


def decide(decision: str) -> tuple:
    return ("decide_service", "manager", {"service_decision": decision, "decision_reason": "Strategic account"})


def reminders(phone: str, count: int) -> list:
    return [("dunning_reminder", "sms", phone)] * count


def record(amount: str, outcome: str | None, *credit_change) -> list:
    """The lines the process writes to the customer's record: the arrears, how the dunning ended, a credit change."""
    return [("arrears", None, f"{amount} (2026-10)"), *([("dunning", None, outcome)] if outcome else []),
            *credit_change]


SUSPENSION = [("process_message", "email", "business"), ("process_message", "sms", "business")]
PHONE = {C_PERSON: "+8613900000007", TOP: "+8613911110001"}  # the primary contact, else the own phone
PATHS = {
    # name: (customer, amount, steps, messages, lines on the customer's record)
    "the check finds no arrears": (
        C_GROUP, 8000, [check(0, confirmed=False)], [], []),
    "paid after one SMS reminder": (
        C_PERSON, 300, [check(300), WAIT, paid(300)],
        [*reminders(PHONE[C_PERSON], 1), ("customer_notice", "sms", PHONE[C_PERSON])], record("300", "paid")),
    "the SMS fails, paid after the voice call it steps up to": (
        C_PERSON, 300, [check(300), *failed("sms"), ("voice_reminder", "billing", ATTEMPT), WAIT, paid(300)],
        [*reminders(PHONE[C_PERSON], 1), ("customer_notice", "sms", PHONE[C_PERSON])], record("300", "paid")),
    "voice, then the manager's call, then a visit fail: suspended automatically, credit red → grey": (
        C_GROUP, 8000, [check(8000), *failed("voice"), *failed("manager"), *failed("manager"), credit(True)],
        SUSPENSION, record("8000", "unpaid_suspended", ("credit_level", "red", "grey"))),
    "a call and two visits fail: suspended automatically, credit grey → black": (
        B_GROUP, 20000, [check(20000), *failed("manager"), *failed("manager"), *failed("manager"), credit(True)],
        SUSPENSION, record("20000", "unpaid_suspended", ("credit_level", "grey", "black"))),
    "an A customer's manager keeps the proposed visit, then keeps the service; no lower credit": (
        A_GROUP, 60000, [check(60000), review("visit"), *failed("manager"), *failed("manager"), *failed("manager"),
                         decide("keep_service"), credit(False)],
        [], record("60000", "unpaid_service_kept")),
    "an A customer's manager decides not to dun, with a reason": (
        A_GROUP, 60000, [check(60000), review(dun=False)], [], record("60000", "not_dunned")),
    "an A+ customer's manager picks an SMS instead of the visit; it steps up, then the service is suspended": (
        TOP, 1000, [check(1000), review("sms"), *failed("sms"), *failed("voice"), *failed("manager"),
                    decide("suspend_service"), credit(True)],
        [*reminders(PHONE[TOP], 1), *SUSPENSION], record("1000", "unpaid_suspended", ("credit_level", "red", "grey"))),
    "SMS, voice and call ignored: suspended, credit already black stays black": (
        C_PERSON, 300, [check(300), *failed("sms"), *failed("voice"), *failed("manager"), credit(True)],
        [*reminders(PHONE[C_PERSON], 1), *SUSPENSION], record("300", "unpaid_suspended")),
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


LONGEST = "an A+ customer's manager picks an SMS instead of the visit; it steps up, then the service is suspended"


@pytest.mark.parametrize("path, backend", [*((path, "sqlite") for path in PATHS),
                                           pytest.param(LONGEST, "postgres", marks=pytest.mark.postgres)])
def test_every_path_from_arrears_to_close(app, fake_clock, path, backend):
    customer_id, amount, steps, expected_messages, lines = PATHS[path]
    customer = db.session.get(Customer, customer_id)
    ticket = open_dunning(customer_id, amount)
    walk_with_waits(ticket, fake_clock, steps)

    assert (ticket.status, open_tasks(ticket)) == ("closed", [])
    assert completed(ticket) == [(element, who) for element, who, _ in steps if element != "wait"]
    assert kinds(ticket).count("timer_fired") == sum(step == WAIT for step in steps)
    assert messages(ticket) == expected_messages
    db.session.refresh(customer)
    history = customers.history(customer)
    assert [(c.field, c.old, c.new) for c in history] == lines
    assert all(c.ticket_id == ticket.id and ticket.number in c.reason for c in history)


@pytest.mark.parametrize("customer_id, amount, method, cut_off, review", [
    (TOP, 1000, "visit", "manual", "manual"),
    (A_GROUP, 60000, "visit", "manual", "manual"),
    (A_GROUP, 49999.99, "manager_call", "manual", "manual"),
    (B_GROUP, 10000, "manager_call", "automatic", "none"),
    (B_GROUP, 500, "voice", "automatic", "none"),
    (C_GROUP, 5000, "voice", "automatic", "none"),
    (C_GROUP, 4999, "sms", "automatic", "none"),
])
def test_the_decision_table_proposes_the_method_by_tier_and_amount(app, customer_id, amount, method, cut_off, review):
    ticket = open_dunning(customer_id, 1)
    work(ticket, *check(amount))  # the amount the check confirms is the one that counts
    waiting = {"sms": [], "voice": ["voice_reminder"]}.get(method, ["manager_attempt"])
    assert open_tasks(ticket) == (["review_dunning"] if review == "manual" else waiting)  # A+ / A: a person first
    assert [m[0] for m in messages(ticket)] == (["dunning_reminder"] if method == "sms" else [])
    data = next(t.data for t in runtime.load(ticket).get_tasks() if "method" in t.data)
    assert (data["method"], data["cut_off"], data["review"], data["customer"]["tier"]) == (
        method, cut_off, review, db.session.get(Customer, customer_id).tier)


def test_the_review_is_the_account_managers_and_billings_without_one(app):
    """人工催欠审核 (004 §三.2.5): the customer's own account manager decides; a customer without one, billing."""
    ticket = open_dunning(A_GROUP, 60000)
    work(ticket, *check(60000))
    owned = task(ticket, "review_dunning")
    assert (owned.assignee.username, owned.state, owned.role) == ("manager", "claimed", "billing")
    db.session.refresh(ticket)
    assert (ticket.data["method"], ticket.data["review"]) == ("visit", "manual")  # the proposal, for the reviewer
    customers.change(db.session.get(Customer, TOP), {"account_manager_id": None}, "manager left", staff("admin"))
    db.session.commit()
    other = open_dunning(TOP, 1000)
    work(other, *check(1000))
    queued = task(other, "review_dunning")
    assert (queued.assignee, queued.state, queued.role) == (None, "open", "billing")
    work(other, "review_dunning", "billing", review("voice")[2])
    assert open_tasks(other) == ["voice_reminder"]


@pytest.mark.parametrize("answer, field", [
    ({"dun": True, "review_reason": "Agreed"}, "method"),  # dunning needs a method
    ({"dun": False, "review_reason": ""}, "review_reason"),  # not dunning needs a reason
])
def test_a_review_without_its_method_or_reason_is_refused(app, answer, field):
    ticket = open_dunning(A_GROUP, 60000)
    work(ticket, *check(60000))
    with pytest.raises(InvalidInput) as caught:
        work(ticket, "review_dunning", "manager", answer)
    assert [d["field"] for d in caught.value.details] == [field]
    assert open_tasks(ticket) == ["review_dunning"]


def test_the_customers_promised_payment_date_sets_the_wait(app, fake_clock):
    ticket = open_dunning(C_GROUP, 8000)
    work(ticket, *check(8000))
    with pytest.raises(InvalidInput):  # a promise names its date
        work(ticket, "voice_reminder", "billing", {"contact_result": "promised_to_pay"})
    work(ticket, "voice_reminder", "billing", {"contact_result": "promised_to_pay", "promised_date": "2026-12-05"})
    fake_clock.current = datetime(2026, 12, 6, 0, 59, tzinfo=UTC)  # 08:59 in Beijing the day after the promise
    scheduler.sweep()
    assert open_tasks(ticket) == []  # not after three days: the customer said the 5th
    fake_clock.current = datetime(2026, 12, 6, 1, 0, 1, tzinfo=UTC)
    scheduler.sweep()
    assert open_tasks(ticket) == ["check_payment"]
    work(ticket, *UNPAID)  # a broken promise steps up like any failed attempt
    assert open_tasks(ticket) == ["manager_attempt"]
    assert task(ticket, "manager_attempt").assignee.username == "manager"


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
    walk_with_waits(ticket, fake_clock, [check(60000), review("visit"), *failed("manager") * 3])
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


def test_the_customer_page_shows_the_arrears_and_the_outcome_in_the_readers_words(staff, fake_clock):
    ticket = open_dunning(A_GROUP, 60000)
    walk_with_waits(ticket, fake_clock, [check(60000), review(dun=False)])
    page = staff("manager").get(f"/customers/{A_GROUP}").get_data(as_text=True)
    assert "Arrears (yuan, billing period)" in page and "60000 (2026-10)" in page
    assert "Dunning outcome" in page and "not dunned" in page and "Quarterly payer by arrangement" in page
