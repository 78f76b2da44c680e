"""Lists that grow without end come a page at a time: customers, a customer's history and view log, a ticket's
history, the outbox and the audit trail. Each page has its own argument; a bad page number is the first page."""

import re

import pytest
from sqlalchemy import select

from engine import tickets
from engine.db import db
from engine.directory import users
from engine.models import Customer, CustomerChange, CustomerView, DirectoryChange
from notifications.outbox import OutboxMessage
from tests.web_data import red_ticket


def customer(code: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == code))


def html(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def pager(page: str, arg: str) -> str:
    """The pager's HTML for one list, or '' when the list fits on one page."""
    found = re.search(rf'<nav[^>]*data-testid="pager-{arg}".*?</nav>', page, re.S)
    return found.group(0) if found else ""


def test_the_customer_list_pages_by_fifty(staff):
    home = customer("G0001")
    db.session.add_all(Customer(code=f"Z{n:04d}", name=f"Zeta {n:02d}", kind="group", tier="B",
                                branch_id=home.branch_id) for n in range(60))
    db.session.commit()
    agent = staff("agent")
    first = html(agent.get("/customers?q=Zeta"))
    assert first.count('data-customer="Z') == 50 and 'data-action="previous"' not in pager(first, "page")
    assert "q=Zeta" in pager(first, "page") and "page=2" in pager(first, "page")
    second = html(agent.get("/customers?q=Zeta&page=2"))
    assert second.count('data-customer="Z') == 10 and 'data-action="next"' not in pager(second, "page")
    assert 'data-customer="Z0059"' in second and 'data-customer="Z0059"' not in first


@pytest.mark.parametrize("raw", ["0", "-1", "x", "99999999999999999999"])
def test_a_page_number_that_is_not_one_is_the_first_page_or_an_empty_last_one(staff, raw):
    page = html(staff("agent").get(f"/customers?page={raw}"))
    assert 'data-testid="customer-list"' in page


def test_a_customer_s_history_and_view_log_page_separately_newest_first(staff):
    record = customer("G0001")
    supervisor = users.by_username("supervisor")
    db.session.add_all(CustomerChange(customer_id=record.id, actor_id=supervisor.id, field="points", old=str(n),
                                      new=str(n + 1), reason=f"change {n}") for n in range(55))
    db.session.add_all(CustomerView(customer_id=record.id, user_id=supervisor.id, via="web", part="record")
                       for _ in range(60))
    db.session.commit()
    client = staff("supervisor")
    first = html(client.get(f"/customers/{record.id}"))
    assert "change 54" in first and "change 4<" not in first  # newest first, fifty to a page
    assert "history_page=2" in pager(first, "history_page") and "#history" in pager(first, "history_page")
    assert "views_page=2" in pager(first, "views_page")
    second = html(client.get(f"/customers/{record.id}?history_page=2"))
    assert "change 4<" in second and "change 54" not in second
    assert 'data-action="previous"' in pager(second, "history_page")
    assert 'data-action="previous"' not in pager(second, "views_page")  # the view log stays on its first page


def test_the_customer_record_shows_its_newest_tickets_and_links_to_all_of_them(staff):
    for n in range(21):
        red_ticket(title=f"fault {n}", customer_code="G0001")
    page = html(staff("agent").get(f"/customers/{customer('G0001').id}"))
    shown = page.split('data-testid="customer-tickets"', 1)[1].split("</ul>", 1)[0]
    assert shown.count("list-group-item") == 20 and "fault 20" in shown and "fault 0<" not in shown
    assert 'href="/tickets?customer=G0001"' in page


def test_a_ticket_s_history_shows_its_newest_hundred_events_and_pages_back(staff):
    ticket = red_ticket()
    agent = users.by_username("agent")
    for n in range(110):
        tickets.comment(agent, ticket.id, f"note {n}")
    db.session.commit()
    client = staff("agent")
    page = html(client.get(f"/tickets/{ticket.id}"))
    timeline = page.split('data-testid="timeline"', 1)[1]
    assert timeline.count("<li ") == 100 and "note 109" in timeline and 'data-kind="created"' not in timeline
    assert f'href="/tickets/{ticket.id}?history_page=2#history"' in timeline
    assert page.split('id="comments"', 1)[1].count("kd-comment") >= 110  # the conversation stays whole
    older = html(client.get(f"/tickets/{ticket.id}?history_page=2")).split('data-testid="timeline"', 1)[1]
    assert 'data-kind="created"' in older and "note 109" not in older and 'data-action="later"' in older


def test_the_outbox_and_the_audit_trail_page_with_their_filters_kept(staff):
    admin = users.by_username("admin")
    db.session.add_all(DirectoryChange(actor_id=admin.id, kind="role", subject=f"r{n}", field="name", new="x")
                       for n in range(120))
    db.session.add_all(OutboxMessage(channel="email", event="test", address="a@example.com", subject="s",
                                     body=f"b{n}", state="sent", dedupe_key=f"paging-{n}") for n in range(60))
    db.session.commit()
    client = staff("admin")
    audit = html(client.get("/admin/audit?kind=role"))
    assert "kind=role" in pager(audit, "page") and "page=2" in pager(audit, "page")
    assert html(client.get("/admin/audit?kind=role&page=2")).count("<tr><td>") == 20
    outbox = html(client.get("/admin/notifications/?state=sent"))
    assert "state=sent" in pager(outbox, "page") and "page=2" in pager(outbox, "page")
    assert 'data-action="next"' not in pager(html(client.get("/admin/notifications/?state=sent&page=2")), "page")
