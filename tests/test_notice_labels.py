"""Notices speak the reader's language: a form choice reads as its label (话费减免 / Bill credit), never as the code a
form stores (bill_credit), in customer notices and staff alerts alike (the 赔偿 and 故障通知 steps of 000 §4.3)."""

from sqlalchemy import select

from engine import tickets
from engine.db import db
from notifications.outbox import OutboxMessage
from tests.process_library import staff
from tests.process_walk import customer, work

REPORT = {"service": "leased_line", "description": "Link down at the port office", "contact_phone": "+86 21 5555"}
CODES = ("leased_line", "bill_credit", "outage", "competitor_calls", "billing_dispute")


def texts(ticket, event: str) -> list[tuple[str, str, str]]:
    """(address, subject, body) of the ticket's messages of the event, e-mail and SMS."""
    return [tuple(row) for row in db.session.execute(
        select(OutboxMessage.address, OutboxMessage.subject, OutboxMessage.body)
        .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.event == event).order_by(OutboxMessage.id))]


def no_codes(found) -> bool:
    return not any(code in part for row in found for part in row for code in CODES)


def test_the_fault_alert_names_service_and_impact_in_each_technicians_language(app):
    staff("tech").locale = "zh_CN"
    db.session.commit()
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT, customer_id=customer("G0004").id)
    work(ticket, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    (_, subject, body), _sms = texts(ticket, "fault_alert")
    assert subject.endswith("1级故障：数据专线")
    assert "数据专线发生1级故障（业务全阻）：Link down at the port office" in body
    assert no_codes(texts(ticket, "fault_alert"))


def test_the_compensation_sms_names_the_method_and_the_service_not_their_codes(app):
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT, customer_id=customer("G0004").id)
    work(ticket, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    work(ticket, "dispatch_on_site", "tech", {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"})
    work(ticket, "repair_fault", "tech", {"cause": "Fibre cut", "action": "Spliced", "restored": True})
    work(ticket, "revisit_customer", "manager", {"revisit_done": True, "satisfaction": 2, "compensation_due": True})
    work(ticket, "compensate_customer", "manager", {"amount": 5000, "method": "bill_credit"})
    [(phone, _subject, body)] = texts(ticket, "compensation_notice")
    assert phone == "+8613911110005"  # Luo Bin, G0004's primary contact
    assert "数据专线业务中断，我们已给予您 5000 元赔偿（话费减免）" in body  # the customer's language: Chinese
    assert no_codes(texts(ticket, "compensation_notice"))


def test_the_retention_alert_names_the_signal_in_english_for_an_english_reader(app):
    staff("manager").locale = "en"
    db.session.commit()
    ticket = tickets.start_ticket(staff("agent"), "retention_plan", "Churn risk", customer_id=customer("G0001").id,
                                  data={"signal": "competitor_calls", "details": "Forty calls a day",
                                        "detected_on": "2026-11-20"})
    found = texts(ticket, "retention_alert")
    assert found and no_codes(found)
    assert all("shows a pre-churn signal:" in body for _, _, body in found)
