"""The audit trail of the directory: every change an admin makes to a branch, role or user, field by field."""

from sqlalchemy import insert, select

from engine.db import db
from engine.models import DirectoryChange, User

KINDS = ("branch", "role", "user")


def record(actor: User | None, kind: str, subject: str, field: str, old, new) -> None:
    """One audit row in the caller's transaction; values are kept as text, as the customer history does."""
    db.session.add(DirectoryChange(actor=actor, kind=kind, subject=subject, field=field,
                                   old=_text(old), new=_text(new)))


def entry(actor: User | None, kind: str, subject: str, field: str, old, new) -> dict:
    """One audit row as column values, for a bulk insert (an import writes thousands at once)."""
    return {"actor_id": actor.id if actor else None, "kind": kind, "subject": subject, "field": field,
            "old": _text(old), "new": _text(new)}


def record_all(entries: list[dict]) -> None:
    if entries:
        db.session.execute(insert(DirectoryChange), entries)


def apply(actor: User | None, kind: str, subject: str, target, values: dict) -> list[str]:
    """Set ``values`` on ``target`` and audit each field that really changed; the names of those fields."""
    changed = []
    for field, new in values.items():
        old = getattr(target, field)
        if old != new:
            setattr(target, field, new)
            record(actor, kind, subject, field, old, new)
            changed.append(field)
    return changed


def listing(kind: str | None = None, subject: str | None = None, limit: int = 200,
            offset: int = 0) -> list[DirectoryChange]:
    """The newest changes first, of one kind or one subject when asked."""
    query = (select(DirectoryChange).order_by(DirectoryChange.at.desc(), DirectoryChange.id.desc())
             .limit(limit).offset(offset))
    if kind:
        query = query.where(DirectoryChange.kind == kind)
    if subject:
        query = query.where(DirectoryChange.subject == subject)
    return list(db.session.scalars(query))


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple, set)):
        return ", ".join(sorted(str(v) for v in value))[:256]
    return str(value)[:256]
