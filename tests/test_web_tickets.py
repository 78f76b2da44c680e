"""The ticket page (header, timeline, comments, attachments, diagram) and starting a ticket per channel."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import tickets
from engine.attachments import Attachment
from engine.db import db
from engine.models import Customer, Ticket
from tests.web_data import open_task, red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])

ACCEPT = {"impact": "outage", "impact_details": "cranes offline", "customer_answered": "true", "action": "complete"}


def text(page) -> str:
    return page.get_data(as_text=True)


def test_the_ticket_page_shows_header_timeline_and_open_tasks(staff):
    ticket = red_ticket()
    page = text(staff("agent").get(f"/tickets/{ticket.id}"))
    assert ticket.number in page and 'data-channel="red"' in page and 'data-status="open"' in page
    assert "Shanghai Port Logistics Group" in page and 'data-sla="on_track"' in page
    assert 'data-kind="created"' in page and "Accept the fault" in page


@BOTH
def test_the_diagram_is_the_tickets_version_with_its_progress(staff):
    ticket = red_ticket()
    agent = staff("agent")
    state = agent.get(f"/tickets/{ticket.id}/diagram").get_json()
    assert state["xml"].startswith("<?xml") and 'id="accept_fault"' in state["xml"]
    assert state["current"] == ["accept_fault"] and "fault_reported" in state["finished"]
    agent.post(f"/tasks/{open_task(ticket).id}", data=ACCEPT)
    state = agent.get(f"/tickets/{ticket.id}/diagram").get_json()
    assert state["current"] == ["dispatch_on_site"] and "accept_fault" in state["finished"]
    assert state["breached"] == []


def test_a_breached_step_is_marked_on_the_diagram(staff, fake_clock):
    ticket = red_ticket()
    fake_clock.advance(minutes=11)
    while tickets.fire_due_timer(set()):
        pass
    state = staff("agent").get(f"/tickets/{ticket.id}/diagram").get_json()
    assert state["breached"] == ["accept_fault"]


def test_people_not_involved_cannot_open_a_ticket(staff):
    ticket = red_ticket()
    assert staff("tech").get(f"/tickets/{ticket.id}").status_code == 403  # no task of the tech's yet
    assert staff("tech").get(f"/tickets/{ticket.id}/diagram").status_code == 403
    assert staff("supervisor").get(f"/tickets/{ticket.id}").status_code == 200
    assert staff("manager").get(f"/tickets/{ticket.id}").status_code == 200  # the customer's account manager
    assert staff("agent").get("/tickets/999").status_code == 404


def test_comments_go_into_the_history(staff):
    ticket = red_ticket()
    agent = staff("agent")
    agent.post(f"/tickets/{ticket.id}/comments", data={"body": "customer called again"})
    assert "customer called again" in text(agent.get(f"/tickets/{ticket.id}"))
    response = agent.post(f"/tickets/{ticket.id}/comments", data={"body": "  "})
    assert response.status_code == 422 and "cannot be empty" in text(response)


def upload(client, ticket, name: str, content: bytes):
    return client.post(f"/tickets/{ticket.id}/attachments", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


@BOTH
def test_an_attachment_is_stored_and_downloaded_by_those_who_may_see_it(app, staff):
    ticket = red_ticket()
    agent = staff("agent")
    assert upload(agent, ticket, "survey.pdf", b"%PDF-1.7 site survey").status_code == 302
    row = db.session.scalar(select(Attachment))
    assert (row.filename, row.content_type, row.size) == ("survey.pdf", "application/pdf", 20)
    assert (Path(app.instance_path) / "attachments" / row.stored_name).read_bytes() == b"%PDF-1.7 site survey"
    assert "survey.pdf" in text(agent.get(f"/tickets/{ticket.id}"))
    download = agent.get(f"/attachments/{row.id}")
    assert download.data == b"%PDF-1.7 site survey"
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert staff("tech").get(f"/attachments/{row.id}").status_code == 403


def test_attachments_of_a_forbidden_type_or_size_are_refused(app, staff):
    ticket = red_ticket()
    agent = staff("agent")
    refused = upload(agent, ticket, "tool.exe", b"MZ...")
    assert refused.status_code == 422 and "tool.exe" in text(refused)
    app.config["ATTACHMENT_MAX_BYTES"] = 10
    too_big = upload(agent, ticket, "notes.txt", b"x" * 11)
    assert too_big.status_code == 422 and "larger than" in text(too_big)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_a_new_red_ticket_is_started_from_its_form(staff):
    agent = staff("agent")
    page = text(agent.get("/tickets/new/red"))
    assert 'name="service"' in page and 'name="description"' in page and "Red channel" in page
    found = text(agent.get("/tickets/new/customers?q=textile"))
    assert "Minhang Textile Co." in found and "Zhao Min" not in found
    customer_id = int(found.split('name="customer_id" value="')[1].split('"')[0])
    response = agent.post("/tickets/new/red", data={"process": "red_fault", "title": "Mill offline",
                                                    "customer_id": str(customer_id), "priority": "high",
                                                    "service": "internet", "description": "no internet"})
    ticket = db.session.scalar(select(Ticket).where(Ticket.title == "Mill offline"))
    assert response.location == f"/tickets/{ticket.id}"
    assert (ticket.customer_id, ticket.priority, ticket.data["service"]) == (customer_id, "high", "internet")
    assert open_task(ticket).element_id == "accept_fault"


def test_a_process_only_its_timers_start_is_not_offered_on_the_new_ticket_page(staff):
    """member_review runs by its schedules (monthly, yearly card inspection; 004 §二.3.3): nobody opens it by hand."""
    agent = staff("agent")
    page = text(agent.get("/tickets/new/yellow"))
    assert 'value="yellow_complaint"' in page and 'value="member_review"' not in page
    refused = agent.post("/tickets/new/yellow", data={"process": "member_review", "title": "Screening"})
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count(Ticket.id)).where(Ticket.title == "Screening")) == 0


def test_a_start_form_with_missing_values_starts_nothing(staff):
    response = staff("agent").post("/tickets/new/red", data={"process": "red_fault", "title": "",
                                                             "service": "internet"})
    assert response.status_code == 422
    page = text(response)
    assert 'data-error-for="description"' in page and 'data-error-for="title"' in page
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@BOTH
def test_a_customer_is_found_by_code_or_phone(staff):
    db.session.scalar(select(Customer).where(Customer.code == "P0001")).phone = "+86 139 1234 5678"
    db.session.commit()
    agent = staff("agent")
    assert "Huadong Bank" in text(agent.get("/tickets/new/customers?q=G0002"))
    assert "Zhao Min" in text(agent.get("/tickets/new/customers?q=1234 5678"))
    assert "No customer matches" in text(agent.get("/tickets/new/customers?q=zzz"))


def test_unknown_channels_have_no_new_ticket_page(staff):
    assert staff("agent").get("/tickets/new/purple").status_code == 404


def test_waiting_on_the_customer_stops_the_clock_until_resumed(staff, fake_clock):
    ticket = red_ticket()
    agent = staff("agent")
    agent.post(f"/tickets/{ticket.id}/pause", data={"reason": "customer to power-cycle the router"})
    page = text(agent.get(f"/tickets/{ticket.id}"))
    assert 'data-testid="waiting"' in page and "customer to power-cycle the router" in page
    fake_clock.advance(hours=1)
    agent.post(f"/tickets/{ticket.id}/resume")
    page = text(agent.get(f"/tickets/{ticket.id}"))
    assert 'data-testid="waiting"' not in page and 'data-sla="on_track"' in page  # the hour did not count
    refused = agent.post(f"/tickets/{ticket.id}/resume")
    assert refused.status_code == 409 and "not waiting" in text(refused)


def test_only_supervisors_cancel_and_a_reason_is_needed(staff):
    ticket = red_ticket()
    assert staff("agent").post(f"/tickets/{ticket.id}/cancel", data={"reason": "duplicate"}).status_code == 403
    supervisor = staff("supervisor")
    assert supervisor.post(f"/tickets/{ticket.id}/cancel", data={"reason": ""}).status_code == 422
    db.session.refresh(ticket)
    assert ticket.status == "open"
    supervisor.post(f"/tickets/{ticket.id}/cancel", data={"reason": "duplicate of another fault"})
    db.session.refresh(ticket)
    assert ticket.status == "cancelled"
    assert 'data-status="cancelled"' in text(supervisor.get(f"/tickets/{ticket.id}"))


def test_ticket_data_is_grouped_by_step_labelled_from_its_form_and_in_local_time(staff):
    ticket = red_ticket()
    note = "cranes offline; " * 30 + "END-OF-NOTE"
    staff("agent").post(f"/tasks/{open_task(ticket).id}", data={**ACCEPT, "impact_details": note})
    db.session.expire_all()
    tech = staff("tech")
    on_site = open_task(ticket)
    assert on_site.name == "Get on site (level 1)"
    done = tech.post(f"/tasks/{on_site.id}", data={"engineer": "Wu Lei", "arrived_at": "2026-11-23T09:30",
                                                     "action": "complete"})
    assert done.status_code == 302
    page = text(tech.get(f"/tickets/{ticket.id}"))
    data = page[page.index('data-testid="ticket-data"'):page.index('data-testid="timeline"')]
    assert data.index("Opened") < data.index("Accept the fault") < data.index("Get on site (level 1)")
    assert "Affected service" in data and "Impact on the customer" in data and "Arrived at" in data
    assert "2026-11-23 09:30" in data and "T01:30" not in page  # stored in UTC, shown in Shanghai time
    assert "Fault level" in data and ">fault_level<" not in data  # set by the decision: named in words
    assert page.count("END-OF-NOTE") == 1 and "<details" in data  # long text once, collapsed


def test_the_header_shows_the_priority_a_breach_raised(staff, fake_clock):
    ticket = red_ticket()
    assert ticket.priority == "normal"
    fake_clock.advance(minutes=11)
    while tickets.fire_due_timer(set()):
        pass
    page = text(staff("agent").get(f"/tickets/{ticket.id}"))
    header = page[page.index('data-testid="ticket-header"'):]
    assert "kd-priority-high" in header[:header.index("</div>")]
