"""Internal notes and replies to the customer on the ticket page: a comment stays inside the desk; a reply starts
from a bilingual template with the ticket's fields, goes out through the outbox to one of the customer's own
addresses, and shows in the conversation with its delivery state."""

from urllib.parse import quote

from sqlalchemy import func, select

from engine import deployments, tickets
from engine.db import db
from engine.directory import users
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import simple
from tests.web_data import red_ticket

GAO_MAIL = "email:gao.feng@port-logistics.example"
GAO_SMS = "sms:+8613911110001"


def text(response) -> str:
    return response.get_data(as_text=True)


def queued() -> list[tuple[str, str, str]]:
    db.session.expire_all()
    return [(m.channel, m.address, m.body) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.event == "customer_reply").order_by(OutboxMessage.id))]


def conversation(page: str) -> str:
    return page.split('id="conversation"', 1)[1].split('data-testid="note-form"', 1)[0]


def test_a_comment_is_an_internal_note_and_nothing_goes_to_the_customer(staff):
    ticket = red_ticket()
    agent = staff("agent")
    agent.post(f"/tickets/{ticket.id}/comments", data={"body": "Customer sounded upset"})
    shown = conversation(text(agent.get(f"/tickets/{ticket.id}")))
    assert 'data-kind="note"' in shown and "Customer sounded upset" in shown and "internal" in shown
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.body.contains("upset"))) == 0


def test_a_reply_template_fills_the_form_with_the_ticket_s_fields_in_either_language(staff):
    ticket = red_ticket()
    agent = staff("agent")
    english = text(agent.get(f"/tickets/{ticket.id}?reply_template=reply_received&reply_lang=en&to={quote(GAO_SMS)}"))
    body = english.split('id="reply-body"', 1)[1].split("</textarea>", 1)[0]
    assert "Dear Shanghai Port Logistics Group" in body and ticket.number in body and "Leased line down" in body
    assert f'value="{GAO_SMS}" selected' in english
    chinese = text(agent.get(f"/tickets/{ticket.id}?reply_template=reply_solved&reply_lang=zh_CN"))
    body = chinese.split('id="reply-body"', 1)[1].split("</textarea>", 1)[0]
    assert "尊敬的Shanghai Port Logistics Group" in body and "已处理完毕" in body and ticket.number in body


def test_a_reply_goes_through_the_outbox_and_shows_its_delivery_state(staff):
    ticket = red_ticket()
    agent = staff("agent")
    sent = agent.post(f"/tickets/{ticket.id}/replies",
                      data={"to": GAO_MAIL, "subject": "Your fault", "body": "An engineer is on the way."})
    assert sent.status_code == 302
    assert queued() == [("email", "gao.feng@port-logistics.example", "An engineer is on the way.")]
    reply, = [e for e in tickets.history(ticket) if e.kind == "reply"]
    assert (reply.actor.username, reply.data["channel"], reply.data["who"]) == ("agent", "email", "Gao Feng")
    page = conversation(text(agent.get(f"/tickets/{ticket.id}")))
    assert 'data-kind="reply" data-delivery="pending"' in page and "An engineer is on the way." in page
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.event == "customer_reply"))
    message.state = "sent"
    db.session.commit()
    assert 'data-delivery="sent"' in conversation(text(agent.get(f"/tickets/{ticket.id}")))


def test_a_reply_to_an_address_that_is_not_the_customer_s_is_refused_and_keeps_the_text(staff):
    ticket = red_ticket()
    agent = staff("agent")
    refused = agent.post(f"/tickets/{ticket.id}/replies",
                         data={"to": "email:someone@elsewhere.example", "body": "Typed with care"})
    assert refused.status_code == 422 and "Typed with care</textarea>" in text(refused)
    assert "must be one of the customer" in text(refused)
    assert agent.post(f"/tickets/{ticket.id}/replies", data={"to": GAO_SMS, "body": "  "}).status_code == 422
    assert agent.post(f"/tickets/{ticket.id}/replies", data={"to": GAO_SMS, "body": "x" * 2001}).status_code == 422
    assert queued() == [] and not [e for e in tickets.history(ticket) if e.kind == "reply"]


def test_a_ticket_without_a_customer_has_no_one_to_reply_to(staff):
    deployments.deploy(users.by_username("supervisor"), simple(key="plain"))
    ticket = tickets.start_ticket(users.by_username("agent"), "plain", "internal chore")
    agent = staff("agent")
    assert 'data-testid="reply-form"' not in text(agent.get(f"/tickets/{ticket.id}"))
    assert agent.post(f"/tickets/{ticket.id}/replies", data={"to": GAO_SMS, "body": "hello"}).status_code == 422
    assert queued() == []


def test_replying_needs_the_ticket_and_the_form_s_csrf_token(staff, web_client):
    ticket = red_ticket(customer_code="G0004")  # Minhang: outside the Pudong desk's branches
    assert staff("pudong").post(f"/tickets/{ticket.id}/replies", data={"to": GAO_SMS, "body": "hi"}).status_code == 404
    staff("agent")
    unsigned = web_client.post(f"/tickets/{ticket.id}/replies", data={"to": GAO_SMS, "body": "hi"})
    assert unsigned.status_code in (400, 403)
    assert queued() == []
