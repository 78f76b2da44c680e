"""The library's entries and the results of the closed plans recorded against them (both kept forever)."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import db
from engine.models import Branch, Ticket, User

OUTCOMES = ("retained", "lost")


class RetentionPlan(db.Model):
    """A plan an account manager may choose; ``active`` False once retired (tickets that chose it still name it)."""

    __tablename__ = "retention_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # what the ticket's data keeps as its ``plan``
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)  # None: the company's
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime]
    branch: Mapped[Branch | None] = relationship()
    changed_by: Mapped[User | None] = relationship()


class RetentionResult(db.Model):
    """One closed retention plan: the plan chosen (no entry for a plan of one's own), kept or lost, the lesson."""

    __tablename__ = "retention_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("retention_plans.id"), index=True)
    plan_code: Mapped[str] = mapped_column(String(64))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    churn_reason: Mapped[str | None] = mapped_column(String(64))
    effectiveness: Mapped[str | None] = mapped_column(String(16))
    lessons: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal(0))  # the evaluation's total, yuan
    closed_at: Mapped[datetime] = mapped_column(index=True)
    ticket: Mapped[Ticket] = relationship()
    plan: Mapped[RetentionPlan | None] = relationship()
    branch: Mapped[Branch | None] = relationship()
