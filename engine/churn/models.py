"""The signals (kept forever, like every customer record) and each customer's latest score."""

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import db
from engine.models import Customer, Ticket, User

KINDS = ("call_forwarding", "bill_anomaly", "competitor_calls", "rising_complaints", "dissatisfied_revisits")
SOURCES = ("api", "import", "derived")


class ChurnSignal(db.Model):
    """One thing seen that says a customer may leave: from the operator's systems or derived by the desk."""

    __tablename__ = "churn_signals"
    __table_args__ = (Index("ix_churn_signals_customer_observed", "customer_id", "observed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    reference: Mapped[str | None] = mapped_column(String(64), unique=True)  # the operator's id of an imported one
    kind: Mapped[str] = mapped_column(String(32))
    details: Mapped[str] = mapped_column(Text, default="")
    count: Mapped[int] = mapped_column(default=1)  # how many complaints a rising_complaints signal counts
    observed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(12))
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    customer: Mapped[Customer] = relationship()
    reported_by: Mapped[User | None] = relationship()


class ChurnScore(db.Model):
    """A customer's score as last weighed, against the threshold of that moment, and the plan it opened."""

    __tablename__ = "churn_scores"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    score: Mapped[int]
    threshold: Mapped[int]
    weights: Mapped[dict] = mapped_column(default=dict)  # kind -> the points it added
    scored_at: Mapped[datetime] = mapped_column(index=True)
    plan_ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    customer: Mapped[Customer] = relationship()
    plan_ticket: Mapped[Ticket | None] = relationship()
