"""Sending an announcement a batch at a time: each call queues the next ``size`` recipients in the outbox and
marks them, inside the engine step that runs it, so a batch commits whole or not at all. The diagram waits a
short timer between batches, so 10,000 recipients are 20 steps of 500 with other tickets' work in between, never
one giant step; a worker that crashes mid-batch leaves that batch unqueued and the next try queues it once
(``dedupe_key`` per ticket, customer, channel and address). In quiet hours a message is held until they end."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from engine import clock
from engine.announcements.models import AnnouncementRecipient
from engine.db import db
from engine.models import Ticket
from notifications import daytime, outbox
from notifications.outbox import OutboxMessage

QUIET = ("22:00", "08:00")


def send_batch(ticket: Ticket, data: dict, size: int) -> dict:
    """Queue the next batch; returns queued (this batch) and remaining (not yet queued)."""
    pending = db.session.scalars(select(AnnouncementRecipient).where(
        AnnouncementRecipient.ticket_id == ticket.id, AnnouncementRecipient.queued_at.is_(None))
        .order_by(AnnouncementRecipient.id).limit(size)).all()
    now, hold = clock.now(), after_quiet_hours(clock.now(), data.get("quiet_hours") or "-".join(QUIET))
    queued = []
    for row in pending:
        subject, body = _words(data, row.channel)
        message = outbox.enqueue_to("customer_notice", row.channel, row.address, subject, body,
                                    f"announcement:{ticket.id}:{row.customer_id}:{row.address}", ticket,
                                    not_before=hold)
        queued.append((row, message[0] if message else None))
    db.session.flush()  # one flush per batch gives the messages their ids
    for row, message in queued:
        row.message_id = message.id if message else _queued_id(ticket, row)  # queued by an earlier, lost try
        row.queued_at = now
    db.session.flush()
    return {"queued": len(pending), "remaining": _remaining(ticket)}


def _words(data: dict, channel: str) -> tuple[str, str]:
    """Chinese first, then English: the customer reads the one they read (an SMS keeps both short texts)."""
    subject = f"{data['title_zh']} / {data['title_en']}"
    joint = "\n\n" if channel == "email" else " "
    return subject, f"{data['body_zh']}{joint}{data['body_en']}"


def _queued_id(ticket: Ticket, row: AnnouncementRecipient) -> int | None:
    key = f"announcement:{ticket.id}:{row.customer_id}:{row.address}:{row.channel}"
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key))


def _remaining(ticket: Ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(AnnouncementRecipient).where(
        AnnouncementRecipient.ticket_id == ticket.id, AnnouncementRecipient.queued_at.is_(None)))


def after_quiet_hours(now: datetime, quiet: str) -> datetime | None:
    """None outside the quiet hours ("22:00-08:00", desk time), else the moment they end."""
    start, end = (daytime.parse(part.strip()) for part in quiet.split("-"))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    local = now.astimezone(tz)
    if not daytime.within(local.time().replace(second=0, microsecond=0), start, end):
        return None
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end.hour, end.minute), tz)


DELIVERY_STATES = ("not_queued", "pending", "sent", "failed")
_state = func.coalesce(OutboxMessage.state, "not_queued")  # a recipient whose batch has not come yet


def deliveries(ticket: Ticket, limit: int | None = None, offset: int = 0, state: str | None = None) -> list[dict]:
    """The recipients in the order they were fixed (a page of them: ``limit``, ``offset``; of one ``state``), each
    with its message's state (not_queued, pending, sent, failed), attempts (more than one: retried) and last
    error."""
    query = (select(AnnouncementRecipient, OutboxMessage.state, OutboxMessage.attempts, OutboxMessage.last_error,
                    OutboxMessage.sent_at)
             .outerjoin(OutboxMessage, OutboxMessage.id == AnnouncementRecipient.message_id)
             .where(AnnouncementRecipient.ticket_id == ticket.id)
             .order_by(AnnouncementRecipient.id).limit(limit).offset(offset))
    if state is not None:
        query = query.where(_state == state)
    return [{"customer_id": r.customer_id, "name": r.name, "channel": r.channel, "address": r.address,
             "state": state or "not_queued", "attempts": attempts or 0, "last_error": error, "sent_at": sent_at}
            for r, state, attempts, error, sent_at in db.session.execute(query)]


def summary(ticket: Ticket) -> dict:
    """How many recipients per delivery state, counted in the database (an announcement may reach 10,000)."""
    return dict(db.session.execute(
        select(_state, func.count()).select_from(AnnouncementRecipient)
        .outerjoin(OutboxMessage, OutboxMessage.id == AnnouncementRecipient.message_id)
        .where(AnnouncementRecipient.ticket_id == ticket.id).group_by(_state)).all())


def retried(ticket: Ticket) -> int:
    """How many recipients' messages needed more than one attempt (sent or failed in the end)."""
    return db.session.scalar(
        select(func.count()).select_from(AnnouncementRecipient)
        .join(OutboxMessage, OutboxMessage.id == AnnouncementRecipient.message_id)
        .where(AnnouncementRecipient.ticket_id == ticket.id, OutboxMessage.attempts > 1))


