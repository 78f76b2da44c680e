"""Files attached to a ticket: kept under the instance folder by content hash, never deleted, listed in history.

The type is taken from the file name's extension and must be on the allow-list; what the browser
claims is not trusted. Files are stored under a generated name, so a file name cannot reach a path.
"""

import hashlib
import mimetypes
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import ForeignKey, String, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from engine import audit, clock
from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import ImmutableRecordError, Ticket, User
from engine.tickets import step

ALLOWED_TYPES = {
    "application/pdf", "image/png", "image/jpeg", "image/gif", "text/plain", "text/csv",
    "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(256))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime]

    uploaded_by: Mapped[User] = relationship()


@event.listens_for(Session, "before_flush")
def _keep_attachments(session: Session, _context, _instances) -> None:
    if any(isinstance(obj, Attachment) for obj in session.deleted):
        raise ImmutableRecordError("Attachment rows are never deleted")


def storage() -> Path:
    folder = Path(current_app.instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def add(actor: User, ticket: Ticket, filename: str, content: bytes) -> Attachment:
    """Check and store one file, and note it in the ticket's history, in one step."""
    name = Path(filename or "").name.strip()
    content_type = mimetypes.guess_type(name)[0] if name else None
    limit = current_app.config.get("ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if not name:
        raise InvalidInput("choose a file to attach", [{"field": "file", "message": "required"}])
    if content_type not in ALLOWED_TYPES:
        raise InvalidInput(f"{name}: this kind of file cannot be attached (PDF, images, text, CSV, Word, Excel)",
                           [{"field": "file", "message": "type not allowed"}])
    if not content:
        raise InvalidInput(f"{name} is empty", [{"field": "file", "message": "empty"}])
    if len(content) > limit:
        raise InvalidInput(f"{name} is larger than {limit // (1024 * 1024)} MB",
                           [{"field": "file", "message": "too large"}])
    stored = secrets.token_hex(16)
    (storage() / stored).write_bytes(content)
    with step():
        row = Attachment(ticket_id=ticket.id, filename=name[:256], content_type=content_type, size=len(content),
                         sha256=hashlib.sha256(content).hexdigest(), stored_name=stored,
                         uploaded_by_id=actor.id, uploaded_at=clock.now())
        db.session.add(row)
        audit.record(ticket, actor, "attachment_added", filename=row.filename, size=row.size)
        ticket.updated_at = clock.now()
    return row


def of(ticket: Ticket) -> list[Attachment]:
    return list(db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)
                                   .order_by(Attachment.id)))


def get(attachment_id: int) -> Attachment:
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(f"no attachment {attachment_id}")
    return row


def path_of(row: Attachment) -> Path:
    return storage() / row.stored_name
