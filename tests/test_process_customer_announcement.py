"""Announcements to customers (bpmn/customer_announcement.bpmn; 000 §二.5, §四.1.5): drafted in both languages,
recipients by query or list, a second person approves, sent at the chosen time in batches through the outbox
(quiet hours hold them), every selected contact reached once, also across a worker that crashes mid-batch; the
ticket's per-recipient delivery; the account managers told."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import deployments, scheduler, tickets
from engine.db import db
from engine.directory import branches, users
from engine.errors import ProcessError
from engine.models import Timer
from notifications import outbox
from notifications.outbox import OutboxMessage
from tests.process_library import layout_problems, messages, problems, staff
from tests.process_walk import open_task

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
DRAFT = {"notice_kind": "cutover", "title_zh": "网络割接通知", "title_en": "Network cutover",
         "body_zh": "12月5日 01:00-03:00 专线割接。", "body_en": "Leased lines are cut over on 5 Dec, 01:00-03:00.",
         "recipients_by": "query", "tier": "A+", "channels": ["sms", "email"], "send_at": "2026-11-23T15:00"}
SEND_AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 15:00 at the desk
G0001 = {("sms", "+8613911110001"), ("sms", "+8613911110002"), ("sms", "+8613900000001"),
         ("email", "gao.feng@port-logistics.example"), ("email", "lin.xue@port-logistics.example")}


class WorkerCrash(BaseException):
    """The worker process dies in the middle of a step (nothing catches it, as nothing catches a kill)."""


@pytest.fixture
def second_supervisor(app):
    users.create_user("supervisor2", "demo", ["supervisor"], "Second supervisor", branch=branches.by_code("SH"))
    db.session.commit()
    return staff("supervisor2")


def batch_size(size: int) -> None:
    xml = (BPMN / "customer_announcement.bpmn").read_bytes().replace(
        b'name="batch.size" value="500"', f'name="batch.size" value="{size}"'.encode())
    deployments.deploy(staff("supervisor"), xml)


def draft(**changes):
    return tickets.start_ticket(staff("supervisor"), "customer_announcement", "Cutover notice",
                                data={**DRAFT, **changes})


def approve(ticket, approver, approved: bool = True):
    task = open_task(ticket, "approve")
    tickets.claim(approver, task.id)
    return tickets.complete(approver, task.id, {"approved": approved, "approval_note": "Checked both texts"})


def sent_to(ticket) -> list[tuple[str, str]]:
    return sorted((m.channel, m.address) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id, OutboxMessage.event == "customer_notice")))


def run_batches(fake_clock, limit: int = 20) -> int:
    """Sweep, then let each pause between batches pass; returns how many batches ran."""
    fake_clock.current = max(fake_clock.current, SEND_AT + timedelta(seconds=1))
    for sweeps in range(1, limit):
        scheduler.sweep()
        fake_clock.advance(seconds=11)
        if not any(t.element_id == "batch_pause" for t in _waiting()):
            return sweeps
    raise AssertionError("the batches never ended")


def _waiting() -> list[Timer]:
    return list(db.session.scalars(select(Timer).where(Timer.state == "armed", Timer.kind == "bpmn")))


def test_the_diagram_validates_and_is_laid_out(app):
    assert problems("customer_announcement") == [] and layout_problems("customer_announcement") == []


def test_approved_by_a_second_person_it_goes_out_in_batches_to_every_contact_once(app, fake_clock, second_supervisor):
    batch_size(2)
    ticket = draft()
    assert (ticket.data["customers"], ticket.data["addresses"]) == (1, 5)
    with pytest.raises(ProcessError) as refused:
        approve(ticket, staff("supervisor"))  # the drafter cannot approve their own notice
    assert "起草人以外" in str(refused.value) and open_task(ticket, "approve").state == "claimed"
    tickets.unclaim(staff("supervisor"), open_task(ticket, "approve").id)
    approve(ticket, second_supervisor)
    assert sent_to(ticket) == []  # waits for 15:00
    assert run_batches(fake_clock) == 3  # 2 + 2 + 1, one step each
    assert set(sent_to(ticket)) == G0001 and len(sent_to(ticket)) == 5
    assert ("process_message", "email", "manager") in messages(ticket)  # G0001's account manager is told
    assert ticket.status == "closed"
    body = {m.address: m.body for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id))}
    assert "专线割接" in body["+8613911110001"] and "cut over" in body["+8613911110001"]


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_worker_crash_mid_batch_sends_nothing_twice(app, fake_clock, second_supervisor, monkeypatch):
    batch_size(2)
    ticket = draft()
    approve(ticket, second_supervisor)
    real, calls = outbox.enqueue_to, []

    def crash_on_the_third(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise WorkerCrash()
        return real(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue_to", crash_on_the_third)
    fake_clock.current = SEND_AT + timedelta(seconds=1)
    scheduler.sweep()  # batch 1 commits
    fake_clock.advance(seconds=11)
    with pytest.raises(WorkerCrash):
        scheduler.sweep()  # batch 2 dies after its first message: rolled back
    db.session.rollback()
    assert len(sent_to(ticket)) == 2
    monkeypatch.setattr(outbox, "enqueue_to", real)
    run_batches(fake_clock)
    assert set(sent_to(ticket)) == G0001 and len(sent_to(ticket)) == 5


def test_quiet_hours_hold_the_messages_until_morning(app, fake_clock, second_supervisor):
    ticket = draft(send_at="2026-11-23T23:00")
    approve(ticket, second_supervisor)
    fake_clock.current = datetime(2026, 11, 23, 15, 0, 1, tzinfo=UTC)  # 23:00 at the desk
    scheduler.sweep()
    held = {m.next_attempt_at for m in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.ticket_id == ticket.id, OutboxMessage.event == "customer_notice"))}
    assert held == {datetime(2026, 11, 24, 0, 0, tzinfo=UTC)}  # 08:00 at the desk


def test_a_rejected_notice_is_never_sent(app, fake_clock, second_supervisor):
    ticket = draft()
    approve(ticket, second_supervisor, approved=False)
    fake_clock.current = SEND_AT + timedelta(days=1)
    scheduler.sweep()
    assert ticket.status == "closed" and sent_to(ticket) == []


def test_a_list_names_its_customers_and_an_unknown_one_is_refused(app, fake_clock):
    ticket = draft(recipients_by="list", customer_codes="G0002, G0004", channels=["sms"])
    assert (ticket.data["customers"], ticket.data["addresses"]) == (2, 4)
    with pytest.raises(ProcessError) as refused:
        draft(recipients_by="list", customer_codes="G0002 G9999")
    assert "G9999" in str(refused.value)


def test_the_ticket_shows_each_recipients_delivery(app, api, fake_clock, second_supervisor):
    ticket = draft(channels=["sms"])
    approve(ticket, second_supervisor)
    run_batches(fake_clock)
    first, second = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id,
                                                                     OutboxMessage.event == "customer_notice")
                                       .order_by(OutboxMessage.id)).all()[:2]
    first.state, first.attempts, first.sent_at = "sent", 1, fake_clock.now()  # as the delivery worker leaves them
    second.state, second.attempts, second.last_error = "failed", 3, "gateway refused"
    db.session.commit()
    body = api("get", f"/tickets/{ticket.id}/deliveries", "supervisor").get_json()
    assert body["summary"] == {"sent": 1, "failed": 1, "pending": 1}
    assert [(d["address"], d["state"], d["attempts"]) for d in body["deliveries"]][:2] == [
        (first.address, "sent", 1), (second.address, "failed", 3)]
    assert api("get", f"/tickets/{ticket.id}/deliveries", "minhang").status_code == 404  # G0001 is Pudong's
    assert body["retried"] == 1  # the failed one took three attempts
    page = api("get", f"/tickets/{ticket.id}/deliveries?limit=1&offset=1", "supervisor").get_json()["deliveries"]
    assert [(d["address"], d["state"]) for d in page] == [(second.address, "failed")]
    failed = api("get", f"/tickets/{ticket.id}/deliveries?state=failed", "supervisor").get_json()["deliveries"]
    assert [(d["address"], d["last_error"]) for d in failed] == [(second.address, "gateway refused")]
    wrong = api("get", f"/tickets/{ticket.id}/deliveries?state=lost", "supervisor")
    assert wrong.status_code == 422 and wrong.get_json()["error"]["details"][0]["field"] == "state"
