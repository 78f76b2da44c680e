"""The at-risk list (客户流失预警名单, 004 §五.8): customers whose score is above zero but under the threshold, so no
plan opened by itself. Supervisors query it within their branches and may open a retention plan for one by hand."""

from sqlalchemy import select

from engine import contracts, customers, tickets
from engine.churn import rules, signals
from engine.churn.models import ChurnScore
from engine.db import db
from engine.directory import branches, permissions
from engine.errors import Conflict
from engine.models import Customer, Ticket, User

TIERS = ("A+", "A", "B", "C")


def listing(viewer: User, tier: str | None = None, limit: int = 50, offset: int = 0) -> list[ChurnScore]:
    """The viewer's customers at risk, highest score first; ``tier`` narrows it."""
    permissions.require(viewer, "watch_churn")
    query = (select(ChurnScore).join(Customer)
             .where(ChurnScore.score > 0, ChurnScore.score < ChurnScore.threshold, Customer.status == "active",
                    branches.visible(viewer, Customer.branch_id))
             .order_by(ChurnScore.score.desc(), Customer.code).limit(limit).offset(offset))
    if tier:
        query = query.where(Customer.tier == tier)
    return list(db.session.scalars(query))


def open_plan(actor: User, customer_id: int) -> Ticket:
    """A supervisor's judgement: a retention plan for an at-risk customer now, with the signals that count; refused
    while the customer has one open. One transaction."""
    permissions.require(actor, "watch_churn")
    with tickets.step():
        row = _scored(actor, customer_id)
        if signals.open_plan(row.customer) is not None:
            raise Conflict(f"customer {row.customer.code} has a retention plan open already "
                           f"(客户 {row.customer.code} 已有进行中的挽留工单)")
        items = [signals.item(s) for s in signals.counting([row.customer_id], contracts.today())]
        strongest = signals.strongest_of(items, rules.weigh(items))
        row.plan_ticket = signals.open_retention_plan(actor, row.customer, row.score, row.threshold, strongest)
    return row.plan_ticket


def _scored(actor: User, customer_id: int) -> ChurnScore:
    customer = customers.get(customer_id, actor)
    row = db.session.get(ChurnScore, customer.id)
    if row is None or row.score <= 0:
        raise Conflict(f"customer {customer.code} has no signal that counts "
                       f"(客户 {customer.code} 没有有效的离网预警信号)")
    return row
