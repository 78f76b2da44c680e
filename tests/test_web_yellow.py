"""The yellow channel processes through the staff pages: started from the channel's page, worked in task forms."""

from sqlalchemy import select

from engine.db import db
from engine.models import Ticket
from tests import process_library as library


def text(page) -> str:
    return page.get_data(as_text=True)


def started(title: str) -> Ticket:
    return db.session.scalar(select(Ticket).where(Ticket.title == title))


def test_a_complaint_is_opened_answered_and_closed_by_its_first_responder(staff):
    agent = staff("agent")
    page = text(agent.get("/tickets/new/yellow?process=yellow_complaint"))
    assert 'name="source"' in page and "Hotline 10018" in page and 'name="deadline"' in page
    response = agent.post("/tickets/new/yellow", data={
        "process": "yellow_complaint", "title": "Wrong charges", "customer_id": "1", "source": "hotline_10018",
        "business_type": "mobile", "category": "charges_refund", "content": "Roaming charged twice",
        "deadline": "2026-11-30", "complainant": "Gao Feng", "contact_phone": "+86 139 1111 0001"})
    ticket = started("Wrong charges")
    assert response.location == f"/tickets/{ticket.id}"
    first_line = library.task(ticket, "first_line")  # the key-account desk first (000 §4.4)
    assert 'name="solved_at_once"' in text(agent.get(f"/tasks/{first_line.id}"))
    agent.post(f"/tasks/{first_line.id}", data={"action": "complete"})  # unticked: not solved at once
    assert library.open_tasks(ticket) == ["handle_billing"]  # a refund goes to billing
    library.walk(ticket, [("handle_billing", "billing", {"cause": "Double rating", "action_taken": "Refunded",
                                                         "department_solved": True}),
                          ("supervise_handling", "supervisor", {"verdict": "solved"})])

    reply = library.task(ticket, "reply_customer")
    assert 'name="reply_channel"' in text(agent.get(f"/tasks/{reply.id}"))
    agent.post(f"/tasks/{reply.id}", data={"reply": "Refunded on your next bill", "reply_channel": "sms",
                                           "action": "complete"})
    rating = library.task(ticket, "record_satisfaction")
    assert "2 dissatisfied" in text(agent.get(f"/tasks/{rating.id}"))
    agent.post(f"/tasks/{rating.id}", data={"satisfaction": "2", "action": "complete"})
    offer = library.task(ticket, "offer_reopen")
    agent.post(f"/tasks/{offer.id}", data={"reopen_reason": "Accepts the refund", "action": "complete"})  # unticked

    db.session.refresh(ticket)
    assert (ticket.status, ticket.data["satisfaction"], ticket.data["reopened"]) == ("closed", 2, False)


def test_a_dunning_case_is_opened_for_a_customer_from_the_yellow_page(staff):
    billing = staff("billing")
    page = text(billing.get("/tickets/new/yellow?process=yellow_dunning"))
    assert 'name="billing_period"' in page and 'name="arrears_amount"' in page
    billing.post("/tickets/new/yellow", data={"process": "yellow_dunning", "title": "October arrears",
                                              "customer_id": "4", "billing_period": "2026-10",
                                              "arrears_amount": "8000", "overdue_since": "2026-11-15"})
    ticket = started("October arrears")
    assert library.open_tasks(ticket) == ["check_account"]
    check = library.task(ticket, "check_account")
    assert "Contract status" in text(billing.get(f"/tasks/{check.id}"))
    billing.post(f"/tasks/{check.id}", data={"contract_number": "HT-1", "contract_status": "valid",
                                             "arrears_amount": "8000", "arrears_confirmed": "on",
                                             "action": "complete"})
    assert library.open_tasks(ticket) == ["voice_reminder"]  # a C customer owing 8 000 yuan gets a voice call
