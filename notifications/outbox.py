"""The outbox: every message is a row written in the same transaction as the engine step that caused it.

Nothing is sent from inside a step, so a rolled-back step sends nothing, and a committed one cannot
lose its message. A dedupe key makes the same alert to the same person about the same thing a single
row, however many workers or retries produce it.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import clock
from engine.db import db
from engine.models import ImmutableRecordError, Ticket, User
from notifications.templates import MessageTemplate


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
    sent_at: Mapped[datetime | None]

    ticket = relationship("Ticket")
    recipient = relationship("User")
    attempts_made: Mapped[list["DeliveryAttempt"]] = relationship(back_populates="message",
                                                                  order_by="DeliveryAttempt.id")


class DeliveryAttempt(db.Model):
    """One line of a message's delivery record: a try (sent or error) or an admin's resend. Append-only.

    A try is written in the transaction that marks the message, so a worker that dies between sending and
    marking leaves no line for that try (the message itself stays pending and is tried again).
    """

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=_now)
    channel: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(8))  # sent | error | resend
    error: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who asked for a resend

    message: Mapped[OutboxMessage] = relationship(back_populates="attempts_made")
    actor = relationship("User")


def enqueue(event: str, recipient, subject: str, body: str, dedupe: str, ticket=None) -> list:
    """Queue one message per channel a staff member can be reached on; skip what is already queued."""
    addresses = {"email": recipient.email, "sms": recipient.phone}
    return [message for channel, address in addresses.items() if address
            for message in enqueue_to(event, channel, address, subject, body, f"{dedupe}:{recipient.id}",
                                      ticket, recipient.id)]


def enqueue_to(event: str, channel: str, address: str, subject: str, body: str, dedupe: str,
               ticket=None, recipient_id: int | None = None, not_before: datetime | None = None) -> list:
    """Queue one message to an address (a customer's phone, say); nothing if the same one is queued.
    `not_before` holds it (quiet hours): the delivery worker leaves it alone until then."""
    key = f"{dedupe}:{channel}"
    if _queued(key):
        return []
    message = OutboxMessage(event=event, ticket=ticket, recipient_id=recipient_id, channel=channel,
                            address=address, subject=subject, body=body, dedupe_key=key,
                            next_attempt_at=not_before or clock.now())
    db.session.add(message)
    return [message]


def _queued(key: str) -> bool:
    pending = any(isinstance(m, OutboxMessage) and m.dedupe_key == key for m in db.session.new)
    return pending or db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)) is not None


@event.listens_for(Session, "before_flush")
def _keep_the_record(session: Session, _context, _instances) -> None:
    """Messages, their delivery lines and template versions are the record of what was said: never deleted,
    and delivery lines and template versions never changed."""
    for obj in session.deleted:
        if isinstance(obj, (OutboxMessage, DeliveryAttempt, MessageTemplate)):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are never deleted")
    for obj in session.dirty:
        if isinstance(obj, (DeliveryAttempt, MessageTemplate)) and session.is_modified(obj):
            raise ImmutableRecordError(f"{type(obj).__name__} rows are never changed")


FILTERS = ("state", "channel", "event", "recipient", "ticket")


def search(filters: dict[str, str], limit: int = 100, offset: int = 0) -> tuple[list[OutboxMessage], int]:
    """Messages matching the filters (state, channel, event, recipient username, ticket number), newest first,
    and how many match in all."""
    query = select(OutboxMessage)
    for name in ("state", "channel", "event"):
        if filters.get(name):
            query = query.where(getattr(OutboxMessage, name) == filters[name])
    if filters.get("recipient"):
        query = query.join(User, User.id == OutboxMessage.recipient_id).where(User.username == filters["recipient"])
    if filters.get("ticket"):
        query = query.join(Ticket, Ticket.id == OutboxMessage.ticket_id).where(Ticket.number == filters["ticket"])
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit).offset(offset))
    return list(page), total
