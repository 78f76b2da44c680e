"""The outbox: every message is a row written in the same transaction as the engine step that caused it.

Nothing is sent from inside a step, so a rolled-back step sends nothing, and a committed one cannot
lose its message. A dedupe key makes the same alert to the same person about the same thing a single
row, however many workers or retries produce it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.db import db


def _now():
    return clock.now()


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "state", "next_attempt_at"),)  # the delivery claim

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    event: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    address: Mapped[str] = mapped_column(String(256))
    subject: Mapped[str] = mapped_column(String(256), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(256), unique=True)

    ticket = relationship("Ticket")


def enqueue(event: str, recipient, subject: str, body: str, dedupe: str, ticket=None) -> list:
    """Queue one message per channel a staff member can be reached on; skip what is already queued."""
    addresses = {"email": recipient.email, "sms": recipient.phone}
    return [message for channel, address in addresses.items() if address
            for message in enqueue_to(event, channel, address, subject, body, f"{dedupe}:{recipient.id}",
                                      ticket, recipient.id)]


def enqueue_to(event: str, channel: str, address: str, subject: str, body: str, dedupe: str,
               ticket=None, recipient_id: int | None = None) -> list:
    """Queue one message to an address (a customer's phone, say); nothing if the same one is queued."""
    key = f"{dedupe}:{channel}"
    if _queued(key):
        return []
    message = OutboxMessage(event=event, ticket=ticket, recipient_id=recipient_id, channel=channel,
                            address=address, subject=subject, body=body, dedupe_key=key)
    db.session.add(message)
    return [message]


def _queued(key: str) -> bool:
    pending = any(isinstance(m, OutboxMessage) and m.dedupe_key == key for m in db.session.new)
    return pending or db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None
