"""Who each plan revisits (000 §二.3.1–2): monthly, the customers opened in the month just ended; quarterly, those
opened in the first two months of the quarter just ended and still active (that quarter's last month is in the
monthly plan of the same day: 本月新增大客户不在季回访之中); a query plan, the customers a supervisor's criteria
name. A customer's opening is ``customer_since`` (the day it became a customer), else the day its record was made.
Each rule returns the customers, the period it covers and the day the plan is due."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select

from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput
from engine.models import Branch, Customer, ProcessModel, ProcessVersion, Ticket

REVISIT = "customer_revisit"


@dataclass(frozen=True)
class Selection:
    customers: list[Customer]
    period: str
    due_on: date


def month_start(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def monthly(scope: set[int] | None, today: date) -> Selection:
    first, until = month_start(today, 1), month_start(today)
    return Selection(_opened(scope, first, until), f"{first:%Y-%m}", month_end(today))


def quarterly(scope: set[int] | None, today: date) -> Selection:
    """The quarter that ended before ``today``'s month began: its first two months, still active."""
    quarter_start = month_start(today, 3 + (today.month - 1) % 3)
    until = month_start(quarter_start, -2)
    return Selection(_opened(scope, quarter_start, until), f"{quarter_start:%Y-%m}..{month_start(until, 1):%Y-%m}",
                     month_end(today))


def query(scope: set[int] | None, criteria: dict, today: date) -> Selection:
    """The active customers of ``scope`` matching the criteria (branch code, tier, industry, member card, not
    revisited for ``last_revisit_days``)."""
    conditions = [Customer.status == "active", branches.within(_narrowed(scope, criteria.get("branch")),
                                                               Customer.branch_id)]
    for field in ("tier", "industry", "member_card"):
        if criteria.get(field):
            conditions.append(getattr(Customer, field) == criteria[field])
    found = select(Customer).where(*conditions)
    if criteria.get("last_revisit_days"):
        found = found.where(Customer.id.not_in(_revisited_since(today - timedelta(days=criteria["last_revisit_days"]))))
    return Selection(list(db.session.scalars(found.order_by(Customer.code))), "query",
                     today + timedelta(days=criteria["due_days"]))


def _narrowed(scope: set[int] | None, code: str | None) -> set[int] | None:
    """The scope, or the named branch and those under it when it lies inside the scope."""
    if not code:
        return scope
    branch = db.session.scalar(select(Branch).where(Branch.code == code))
    if branch is None or (scope is not None and branch.id not in scope):
        raise InvalidInput(f"no branch {code} among the plan's branches (计划所属分支中没有分支 {code})",
                           [{"field": "branch", "message": f"no branch {code}", "message_zh": f"没有分支 {code}"}])
    return branches.scope(branch.id)


def _opened(scope: set[int] | None, first: date, until: date) -> list[Customer]:
    start, end = desk_midnight(first), desk_midnight(until)
    opened = or_(and_(Customer.customer_since >= first, Customer.customer_since < until),
                 and_(Customer.customer_since.is_(None), Customer.created_at >= start, Customer.created_at < end))
    return list(db.session.scalars(select(Customer).where(opened, Customer.status == "active",
                                                          branches.within(scope, Customer.branch_id))
                                   .order_by(Customer.code)))


def desk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(current_app.config["TIMEZONE"]))


def revisits() -> Select:
    """The customer_revisit tickets."""
    return select(Ticket).join(ProcessVersion).join(ProcessModel).where(ProcessModel.key == REVISIT)


def _revisited_since(day: date) -> Select:
    return (revisits().with_only_columns(Ticket.customer_id)
            .where(Ticket.closed_at >= desk_midnight(day), Ticket.status == "closed",
                   func.coalesce(Ticket.data["outcome"].as_string(), "") != "not_reached"))
