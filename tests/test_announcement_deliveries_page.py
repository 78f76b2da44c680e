"""The announcement's ticket page lists each recipient's delivery (000 §二.5, §四.1.5): the counts per state and the
retried ones, contact, channel, address, state and attempts, a page at a time; in the reader's language; nothing of
it for a reader outside the ticket's branches, and no such list on another process's ticket."""

import pytest
from sqlalchemy import select

from engine import tickets
from engine.db import db
from engine.directory import branches, users
from notifications.outbox import OutboxMessage
from tests.process_library import staff as user
from tests.process_walk import customer
from tests.test_process_customer_announcement import approve, draft, run_batches
from web import announcement_pages


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    return fake_clock


@pytest.fixture
def second_supervisor(app):
    """The approver: someone other than the drafter."""
    users.create_user("supervisor2", "demo", ["supervisor"], "Second supervisor", branch=branches.by_code("SH"))
    db.session.commit()
    return user("supervisor2")


def test_the_ticket_page_shows_the_deliveries_a_page_at_a_time(app, staff, fake_clock, second_supervisor,
                                                                monkeypatch):
    ticket = draft(channels=["sms"])  # G0001: three SMS addresses
    approve(ticket, second_supervisor)
    run_batches(fake_clock)
    first, second, third = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.event == "customer_notice").order_by(OutboxMessage.id))
    first.state, first.attempts, first.sent_at = "sent", 2, fake_clock.now()
    second.state, second.attempts, second.last_error = "failed", 3, "gateway refused"
    db.session.commit()
    monkeypatch.setattr(announcement_pages, "PAGE_SIZE", 2)
    supervisor = staff("supervisor")
    page = supervisor.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    section = page[page.index('data-testid="deliveries"'):].split("</section>")[0]
    assert 'data-state="sent">sent: 1<' in section and 'data-state="failed">failed: 1<' in section
    assert 'data-state="retried">retried: 2<' in section
    assert f'data-address="{first.address}" data-state="sent"' in section
    assert f'data-address="{second.address}" data-state="failed"' in section and "gateway refused" in section
    assert third.address not in section and "deliveries=2#deliveries" in section
    following = supervisor.get(f"/tickets/{ticket.id}?deliveries=2").get_data(as_text=True)
    assert f'data-address="{third.address}" data-state="pending"' in following.split('data-testid="deliveries"')[1]
    user("supervisor").locale = "zh_CN"
    db.session.commit()
    chinese = staff("supervisor").get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "逐个接收人的送达情况" in chinese and "发送失败" in chinese and "已重试" in chinese
    assert staff("minhang").get(f"/tickets/{ticket.id}").status_code == 404  # G0001 is Pudong's


def test_another_process_has_no_delivery_list(app, staff):
    other = tickets.start_ticket(user("agent"), "yellow_consultation", "A question", customer_id=customer("G0002").id,
                                 data={"source": "web", "kind": "consultation", "content": "Price?",
                                       "answered_by": "recorder"})
    assert 'data-testid="deliveries"' not in staff("supervisor").get(f"/tickets/{other.id}").get_data(as_text=True)
