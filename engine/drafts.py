"""Form drafts: what a person typed into a task's form and saved without completing it, one per task and person."""

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.db import db
from engine.models import HumanTask, User


class TaskDraft(db.Model):
    __tablename__ = "task_drafts"
    __table_args__ = (UniqueConstraint("task_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("human_tasks.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict] = mapped_column(default=dict)
    saved_at: Mapped[datetime]


def save(task: HumanTask, user: User, data: dict) -> TaskDraft:
    draft = find(task, user) or TaskDraft(task_id=task.id, user_id=user.id)
    draft.data, draft.saved_at = dict(data), clock.now()
    db.session.add(draft)
    db.session.commit()
    return draft


def find(task: HumanTask, user: User) -> TaskDraft | None:
    return db.session.scalar(select(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.user_id == user.id))


def discard(task: HumanTask, user: User) -> None:
    """The task is done: its draft is no longer needed (drafts are scratch, not history)."""
    db.session.execute(delete(TaskDraft).where(TaskDraft.task_id == task.id, TaskDraft.user_id == user.id))
    db.session.commit()
