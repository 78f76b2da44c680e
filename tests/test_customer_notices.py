"""The customer kept informed (issue 16): notices on opening, dispatch, restoration, progress and closing, to the
customer's primary contact in the customer's language, once per ticket, event and occurrence, on the ticket's
history; a customer or a contact who wants no SMS gets none. Walked on red_fault with the controlled clock."""

import pytest
from sqlalchemy import select

from engine import contacts, customers, tickets
from engine.db import db
from engine.notices import send
from notifications.outbox import OutboxMessage
from tests.process_library import staff
from tests.process_walk import customer, work

REPORT = {"service": "leased_line", "description": "Link down at the port office", "contact_phone": "+86 21 5555"}
ON_SITE = {"engineer": "Zhang Lei", "arrived_at": "2026-11-23T01:40:00Z"}  # 09:40 in Shanghai
RESTORED = {"cause": "Fibre cut", "action": "Spliced the fibre", "restored": True}
GAO_FENG, LIN_XUE = "+8613911110001", "+8613911110002"  # G0001's contacts, in the record's order


def sms(ticket) -> list[tuple[str, str, str]]:
    """(event, address, body) of the SMS to customers (no staff member) about the ticket."""
    return list(db.session.execute(select(OutboxMessage.event, OutboxMessage.address, OutboxMessage.body)
                                   .where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.recipient_id.is_(None))
                                   .order_by(OutboxMessage.id)))


def notice_lines(ticket) -> list[tuple[str, str, str]]:
    return [(e.kind, e.data["event"], e.data.get("phone") or e.data.get("reason")) for e in tickets.history(ticket)
            if e.kind in ("customer_notified", "customer_not_notified")]


def set_customer(code: str, **changes) -> None:
    customers.change(customer(code), changes, "the customer asked")
    db.session.commit()


def level_1_fault(code: str = "G0001"):
    """A level-1 fault (outage of a leased line), walked to its close without compensation."""
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Port office offline", data=REPORT,
                                  customer_id=customer(code).id)
    work(ticket, "accept_fault", "agent", {"impact": "outage", "customer_answered": True})
    work(ticket, "dispatch_on_site", "tech", ON_SITE)
    work(ticket, "repair_fault", "tech", RESTORED)
    work(ticket, "revisit_customer", "manager", {"revisit_done": True, "satisfaction": 5, "compensation_due": False})
    return ticket


def test_a_fault_tells_the_primary_contact_at_each_step_in_chinese(app, fake_clock):
    ticket = level_1_fault()
    number, sent = ticket.number, sms(ticket)
    assert [(event, to) for event, to, _ in sent] == [
        ("notice_opened", GAO_FENG), ("notice_dispatched", GAO_FENG), ("notice_restored", GAO_FENG),
        ("notice_closed", GAO_FENG)]
    opened, dispatched, restored, closed = (body for _, _, body in sent)
    # the ticket number, what was promised (10 minutes from the call: 09:10 in Shanghai) and whom to call (the
    # customer's own account manager)
    assert number in opened and "2026-11-23 09:10 前响应" in opened
    manager = customer("G0001").account_manager
    assert f"如有疑问请联系{manager.display_name}：{manager.phone}" in opened
    assert "工程师Zhang Lei已于 2026-11-23 09:40 到达现场" in dispatched
    assert "数据专线已恢复" in restored and "故障原因：Fibre cut" in restored  # the service by its label
    assert number in closed and "已办结" in closed
    assert notice_lines(ticket) == [("customer_notified", event, GAO_FENG) for event, _, _ in sent]


def test_a_customer_who_reads_english_gets_english(app, fake_clock):
    set_customer("G0001", language="en")
    _, opened = sms(level_1_fault())[0][1:]
    assert "we have registered your request as ticket" in opened
    assert "We promise an answer by 2026-11-23 09:10." in opened


def test_a_contact_who_wants_no_sms_is_passed_over_for_the_next(app, fake_clock):
    gao = next(c for c in contacts.of(customer("G0001")) if c.phone == GAO_FENG)
    contacts.update(staff("manager"), customer("G0001").id, gao.id, {"no_sms": True}, "asked for no SMS")
    assert {to for _, to, _ in sms(level_1_fault())} == {LIN_XUE}


def test_a_customer_who_wants_no_sms_gets_none_and_the_history_says_why(app, fake_clock):
    set_customer("G0001", no_sms=True)
    ticket = level_1_fault()
    assert sms(ticket) == []
    assert notice_lines(ticket) == [("customer_not_notified", event, "no_sms") for event in (
        "notice_opened", "notice_dispatched", "notice_restored", "notice_closed")]


def test_a_notice_goes_once_per_ticket_event_and_occurrence(app, fake_clock):
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT, customer_id=customer("G0001").id)
    assert send.tell(ticket, "notice_opened") is False  # the opening already told the customer
    assert send.tell(ticket, "notice_progress", "update-1", {"progress_percent": 40}) is True
    assert send.tell(ticket, "notice_progress", "update-1", {"progress_percent": 40}) is False
    assert send.tell(ticket, "notice_progress", "update-2", {"progress_percent": 80}) is True
    db.session.commit()
    sent = sms(ticket)
    assert [event for event, _, _ in sent] == ["notice_opened", "notice_progress", "notice_progress"]
    assert "已完成 40%" in sent[1][2] and "已完成 80%" in sent[2][2]
    assert [line[1] for line in notice_lines(ticket)] == ["notice_opened", "notice_progress", "notice_progress"]


def test_a_ticket_without_a_customer_tells_nobody_and_says_so(app, fake_clock):
    ticket = tickets.start_ticket(staff("agent"), "red_fault", "Fault", data=REPORT)
    assert sms(ticket) == []
    assert notice_lines(ticket) == [("customer_not_notified", "notice_opened", "no_customer")]


@pytest.mark.parametrize("path, body, field", [
    ("/customers/{id}", {"no_sms": True, "language": "en"}, None),
    ("/customers/{id}", {"language": "fr"}, "language"),
    ("/customers/{id}/contacts/{contact}", {"no_sms": True}, None),
    ("/customers/{id}/contacts/{contact}", {"no_sms": "yes"}, "no_sms"),
])
def test_no_sms_and_the_language_are_edited_with_a_reason_through_the_api(app, api, path, body, field):
    port = customer("G0001")
    contact = contacts.of(port)[0]
    response = api("patch", path.format(id=port.id, contact=contact.id), "manager", json={**body, "reason": "asked"})
    if field is None:
        assert response.status_code == 200 and {k: response.json[k] for k in body} == body
        assert {c.field for c in customers.history(port)} >= set(body)
    else:
        assert response.status_code == 422
        assert [d["field"] for d in response.json["error"]["details"]] == [field]
