"""Contract expiry reminders from the contracts table (合同到期自动提示, 004 §五.2), with the controlled clock: every
contract, hand-entered or signed through contract_approval, is reminded 90, 30 and 7 days before it ends, once per
lead time, to the customer's account manager (the supervisors too at the last one)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from engine import contracts, customers, scheduler
from engine.contracts import reminders
from engine.db import db
from engine.directory import users
from engine.models import Contract, ContractReminder, User
from notifications.outbox import OutboxMessage
from tests.process_walk import customer


def enter(code: str, days_left: int, number: str = "HT-2026-7001") -> Contract:
    """A contract entered by hand on the customer's record, ending that many days from the desk's today."""
    ends = contracts.today() + timedelta(days=days_left)
    return contracts.add(users.by_username("manager"), customer(code).id,
                         {"number": number, "title": "Hand-entered MPLS contract", "start_date": "2025-01-01",
                          "end_date": ends.isoformat()}, "entered from the paper file")


def sent_for(contract: Contract) -> list[tuple[str, str, str]]:
    """(recipient, channel, subject) of every reminder queued for the contract, in order."""
    rows = db.session.execute(select(User.username, OutboxMessage.channel, OutboxMessage.subject)
                              .join(User, User.id == OutboxMessage.recipient_id)
                              .where(OutboxMessage.dedupe_key.like(f"contract_expiry:{contract.id}:%"))
                              .order_by(OutboxMessage.id))
    return [tuple(row) for row in rows]


def leads_sent(contract: Contract) -> list[int]:
    return list(db.session.scalars(select(ContractReminder.lead_days)
                                   .where(ContractReminder.contract_id == contract.id).order_by(ContractReminder.id)))


def test_a_hand_entered_contract_gets_its_90_30_7_reminders_exactly_once_each(app, fake_clock):
    contract = enter("G0001", 100)
    sent_on = {}
    for day in range(1, 103):  # every day until past its end, two sweeps a day (a restart, a second worker)
        fake_clock.advance(days=1)
        for _ in range(2):
            before = len(leads_sent(contract))
            reminders.sweep()
            if len(leads_sent(contract)) > before:
                sent_on.setdefault(day, []).append(leads_sent(contract)[-1])
    assert sent_on == {10: [90], 70: [30], 93: [7]}  # 90, 30 and 7 days before the end, each once
    ends = contract.end_date.isoformat()
    subject = f"Contract HT-2026-7001 expires on {ends}"
    assert sent_for(contract) == [("manager", "email", subject), ("manager", "sms", subject)] * 3 + [
        ("supervisor", "email", subject), ("supervisor", "sms", subject)]  # the last lead: the supervisors too
    body = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.dedupe_key.like(f"contract_expiry:{contract.id}:%")).order_by(OutboxMessage.id))
    assert "Shanghai Port Logistics Group" in body and "in 90 days" in body and "renewal" in body


def test_a_contract_entered_inside_a_lead_time_gets_that_leads_reminder_only(app, fake_clock):
    contract = enter("G0001", 20)
    assert reminders.sweep() >= 1 and leads_sent(contract) == [30]  # not the 90-day one as well
    fake_clock.advance(days=12)
    reminders.sweep()
    fake_clock.advance(days=1)
    reminders.sweep()
    assert leads_sent(contract) == [30, 7]


def test_a_contract_whose_end_date_moves_is_reminded_afresh_and_an_ended_one_not_at_all(app, fake_clock):
    renewed, ended = enter("G0001", 7), enter("G0001", 7, "HT-2026-7002")
    contracts.update(users.by_username("manager"), customer("G0001").id, ended.id, {"status": "ended"}, "cancelled")
    reminders.sweep()
    assert (leads_sent(renewed), leads_sent(ended)) == ([7], [])
    new_end = renewed.end_date + timedelta(days=365)
    contracts.update(users.by_username("manager"), customer("G0001").id, renewed.id,
                     {"end_date": new_end.isoformat()}, "renewed for a year")
    fake_clock.current += new_end - renewed.end_date + (renewed.end_date - contracts.today()) - timedelta(days=90)
    reminders.sweep()
    assert leads_sent(renewed) == [7, 90]


def test_without_an_account_manager_the_managers_on_duty_and_the_supervisors_are_reminded(app, fake_clock):
    customers.change(customer("G0001"), {"account_manager_id": None}, "manager left", users.by_username("admin"))
    db.session.commit()
    contract = enter("G0001", 30)
    reminders.sweep()
    assert {who for who, _, _ in sent_for(contract)} >= {"manager", "supervisor"}


def test_a_reminder_another_worker_sent_meanwhile_is_skipped(app, fake_clock, monkeypatch):
    contract = enter("G0001", 90)
    monkeypatch.setattr(reminders, "due", lambda today: [(contract.id, 90), (contract.id, 90)])  # seen twice
    assert reminders.sweep() == 1
    assert leads_sent(contract) == [90] and len(sent_for(contract)) == 2


def test_the_lead_times_and_the_hour_are_configurable_and_a_wrong_value_is_refused(app, fake_clock):
    app.config["CONTRACT_REMINDER_DAYS"] = "60, 14"
    contract = enter("G0001", 60)
    reminders.sweep()
    assert leads_sent(contract) == [60]
    app.config["CONTRACT_REMINDER_DAYS"] = "sixty"
    with pytest.raises(ValueError, match="CONTRACT_REMINDER_DAYS.*合同到期提醒天数"):
        reminders.leads()
    app.config["CONTRACT_REMINDER_TIME"] = "07:45"
    trigger = scheduler.daily_at(app)
    assert (str(trigger.fields[5]), str(trigger.fields[6]), str(trigger.timezone)) == ("7", "45", "Asia/Shanghai")
    app.config["CONTRACT_REMINDER_TIME"] = "7 o'clock"
    with pytest.raises(ValueError, match="CONTRACT_REMINDER_TIME.*合同到期提醒时间"):
        scheduler.daily_at(app)


@pytest.mark.parametrize("days_left, lead", [(91, None), (90, 90), (31, 90), (30, 30), (8, 30), (7, 7), (0, 7)])
def test_the_lead_a_contract_has_reached(days_left, lead):
    assert reminders.lead_for(days_left, (90, 30, 7)) == lead


def test_the_reminder_of_a_contract_signed_through_a_ticket_is_kept_on_that_ticket(app, fake_clock):
    from engine import tickets
    ticket = tickets.start_ticket(users.by_username("manager"), "contract_approval", "Port contract",
                                  customer_id=customer("G0001").id,
                                  data={"service": "leased_line", "requirement": "Two lines"})
    contract = contracts.enter(customer("G0001"), {"number": "HT-2026-7003", "title": "Port contract",
                                                   "start_date": date(2026, 1, 1),
                                                   "end_date": contracts.today() + timedelta(days=30)},
                               "signed", users.by_username("manager"), ticket)
    db.session.commit()
    reminders.sweep()
    assert {m.ticket_id for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedupe_key.like(f"contract_expiry:{contract.id}:%")))} == {ticket.id}
