"""Lists a person saved under a name, to get back to the same list in one click: inbox filters and ticket-list
views, each list with its own names."""

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import User

LISTS = ("inbox", "tickets")


class SavedFilter(db.Model):
    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("user_id", "list", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    list: Mapped[str] = mapped_column(String(16), default="inbox", server_default="inbox")
    name: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict] = mapped_column(default=dict)  # the list's query arguments (the inbox's view included)


def of(user: User, list_name: str = "inbox") -> list[SavedFilter]:
    return list(db.session.scalars(select(SavedFilter).where(SavedFilter.user_id == user.id,
                                                             SavedFilter.list == list_name)
                                   .order_by(SavedFilter.name)))


def save(user: User, name: str, params: dict[str, str], list_name: str = "inbox") -> SavedFilter:
    """Save (or overwrite) the filter ``name`` of the list; empty arguments are left out."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > 64:
        raise InvalidInput("a saved filter needs a name of 1 to 64 characters",
                           [{"field": "name", "message": "required, at most 64 characters",
                             "message_zh": "必填，最多 64 个字符"}])
    if list_name not in LISTS:
        raise InvalidInput(f"no list {list_name!r} to save a filter of",
                           [{"field": "list", "message": f"must be one of {', '.join(LISTS)}",
                             "message_zh": f"必须是 {'、'.join(LISTS)} 之一"}])
    row = db.session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id, SavedFilter.list == list_name,
                                                      SavedFilter.name == name))
    row = row or SavedFilter(user_id=user.id, list=list_name, name=name)
    row.params = {key: value for key, value in params.items() if value}
    db.session.add(row)
    db.session.commit()
    return row


def remove(user: User, filter_id: int) -> None:
    """Only the owner can remove a saved filter; someone else's id is simply not found."""
    gone = db.session.execute(delete(SavedFilter).where(SavedFilter.id == filter_id, SavedFilter.user_id == user.id))
    db.session.commit()
    if gone.rowcount == 0:
        raise NotFound(f"no saved filter {filter_id}")
