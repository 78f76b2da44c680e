"""One row per contact address an announcement goes to, fixed when it is drafted, so that every batch reads the
same list and a recipient once queued is never queued again (its message is linked)."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import db


class AnnouncementRecipient(db.Model):
    __tablename__ = "announcement_recipients"
    __table_args__ = (UniqueConstraint("ticket_id", "customer_id", "channel", "address"),
                      Index("ix_announcement_recipients_pending", "ticket_id", "queued_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(8))  # sms | email
    address: Mapped[str] = mapped_column(String(256))
    name: Mapped[str] = mapped_column(String(256), default="")  # the contact (or the customer) addressed
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    queued_at: Mapped[datetime | None]
