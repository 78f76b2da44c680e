"""The outbox: every message is a row written in the same transaction as the engine step that caused it.

Nothing is sent from inside a step, so a rolled-back step sends nothing, and a committed one cannot
lose its message. A dedupe key makes the same alert to the same person about the same thing a single
row, however many workers or retries produce it.
"""

from datetime import datetime
from functools import lru_cache

from sqlalchemy import ForeignKey, Index, String, Text, event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import clock, step_rows
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
    return enqueue_all([row(event, channel, address, subject, body, f"{dedupe}:{recipient.id}", recipient.id)
                        for channel, address in addresses.items() if address], ticket)


def enqueue_to(event: str, channel: str, address: str, subject: str, body: str, dedupe: str,
               ticket=None, recipient_id: int | None = None, not_before: datetime | None = None) -> list:
    """Queue one message to an address (a customer's phone, say); nothing if the same one is queued.
    `not_before` holds it (quiet hours): the delivery worker leaves it alone until then."""
    return enqueue_all([row(event, channel, address, subject, body, dedupe, recipient_id, not_before)], ticket)


def row(event: str, channel: str, address: str, subject: str, body: str, dedupe: str,
        recipient_id: int | None = None, not_before: datetime | None = None) -> dict:
    """One message for ``enqueue_all``; its dedupe key is ``dedupe`` and the channel."""
    now = clock.now()
    return {"event": event, "channel": channel, "address": address, "subject": subject, "body": body,
            "recipient_id": recipient_id, "dedupe_key": f"{dedupe}:{channel}", "state": "pending", "attempts": 0,
            "created_at": now, "next_attempt_at": not_before or now}


def enqueue_all(rows: list[dict], ticket=None) -> list:
    """Queue messages (``row``s) about a ticket in one INSERT, whatever their number, and return those queued: their
    columns as read-only rows (``message.id``), or, for a ticket this step opens, the new OutboxMessage objects.

    A message whose dedupe key is already queued is left out by the database itself (ON CONFLICT DO NOTHING on
    the unique key): queued by this step, by an earlier try of it, or by another worker at the same moment (on
    PostgreSQL the second insert waits for the first's transaction and inserts only if that one rolled back).
    Two rows of one call with the same key make one message. No read comes before the write, and a duplicate
    never fails the step. Nothing is flushed: the step still writes its own rows once, at its commit. The INSERT is
    a plain table statement built once (the ORM's insert of objects cost five times as much, issue 17)."""
    if not rows:
        return []
    if ticket is not None and ticket.id is None:
        return _with_new_ticket(rows, ticket)
    values = [{**message, "ticket_id": ticket.id if ticket else None} for message in rows]
    if db.session.get_bind().dialect.name == "postgresql":
        queued = db.session.execute(_insert_json(tuple(values[0])),
                                    {"rows": [step_rows.json_values(message) for message in values]})
    else:
        queued = db.session.execute(_INSERT_SQLITE, values)
    return sorted(queued, key=lambda message: message.id)


def _skip_queued(insert):
    table = OutboxMessage.__table__
    return insert.on_conflict_do_nothing(index_elements=[table.c.dedupe_key]).returning(*table.c)


_INSERT_SQLITE = _skip_queued(sqlite.insert(OutboxMessage.__table__))


@lru_cache(maxsize=4)
def _insert_json(columns: tuple[str, ...]):
    """PostgreSQL: the messages as one JSON array: the same statement text and one parameter however many they are,
    where an executemany renders its batch on every execution."""
    records = step_rows.json_records(OutboxMessage.__table__, "rows", columns)
    return _skip_queued(postgresql.insert(OutboxMessage.__table__)
                        .from_select(columns, select(*(records.c[name] for name in columns))))


def _with_new_ticket(rows: list[dict], ticket: Ticket) -> list[OutboxMessage]:
    """The messages about a ticket this step opens: it has no row to refer to yet, so they are written with it at
    the step's commit (one batched INSERT). Their keys name the new ticket's own things, so only this step can
    have queued one: they are checked among the session's new objects, and the unique key stays the backstop."""
    queued = {obj.dedupe_key for obj in db.session.new if isinstance(obj, OutboxMessage)}
    messages = []
    for message in rows:
        if message["dedupe_key"] not in queued:
            queued.add(message["dedupe_key"])
            messages.append(OutboxMessage(**message, ticket=ticket))
    db.session.add_all(messages)
    return messages


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
