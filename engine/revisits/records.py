"""A customer's revisits for its record, and the counts the desk reports (回访信息的查询、汇总、统计, 004 §五.7.4:
revisits planned and done per account manager and branch, satisfaction per tier)."""

from collections import defaultdict

from sqlalchemy import select

from engine.db import db
from engine.directory import branches, permissions
from engine.models import Branch, Customer, Ticket, User
from engine.report_range import DateRange
from engine.reports import Report, Table
from engine.revisits import selection

DONE = ("reached", "visited")


def of_customer(customer: Customer) -> list[dict]:
    """Each revisit of the customer, newest first: plan, due day, state, outcome, satisfaction, problems,
    suggestions."""
    found = db.session.scalars(selection.revisits().where(Ticket.customer_id == customer.id)
                               .order_by(Ticket.created_at.desc(), Ticket.id.desc()))
    return [summary(t) for t in found]


def summary(ticket: Ticket) -> dict:
    data = ticket.data or {}
    return {"ticket": ticket.number, "ticket_id": ticket.id, "status": ticket.status, "plan": data.get("plan_number"),
            "plan_kind": data.get("plan_kind"), "due_on": data.get("due_on"), "outcome": _outcome(ticket),
            "satisfaction": data.get("satisfaction"), "problems": data.get("problems"),
            "suggestions": data.get("suggestions"), "closed_at": ticket.closed_at}


def _outcome(ticket: Ticket) -> str | None:
    """What the revisit came to: the manager's outcome; a closed one the supervisor gave up on is not_reached."""
    if ticket.status == "closed" and (ticket.data or {}).get("decision") == "close_unreached":
        return "not_reached"
    return (ticket.data or {}).get("outcome") if ticket.status == "closed" else None


def counts(viewer: User, span: DateRange, plan: str | None = None) -> dict:
    """Revisits planned (opened) within ``span`` (whole days, both ends included) in the viewer's
    branches, or of one plan: planned, done, not reached and open per account manager and per branch, and the
    satisfaction answers per tier (how many, the average)."""
    permissions.require(viewer, "reports")
    query = (select(Ticket, User.username, Branch.code, Customer.tier).select_from(Ticket)
             .join(Customer, Customer.id == Ticket.customer_id)
             .outerjoin(User, User.id == Customer.account_manager_id).outerjoin(Branch, Branch.id == Ticket.branch_id)
             .where(Ticket.id.in_(selection.revisits().with_only_columns(Ticket.id)),
                    branches.visible(viewer, Ticket.branch_id),
                    Ticket.created_at >= span.start, Ticket.created_at < span.end))
    if plan:
        query = query.where(Ticket.data["plan_number"].as_string() == plan)
    by_manager, by_branch = defaultdict(_tally), defaultdict(_tally)
    answers: dict[str, list[int]] = defaultdict(list)
    for ticket, manager, branch, tier in db.session.execute(query):
        state = _state(ticket)
        for tally in (by_manager[manager or "-"], by_branch[branch or "-"]):
            tally[state] += 1
            tally["planned"] += 1
        if state == "done" and isinstance(ticket.data.get("satisfaction"), int):
            answers[tier].append(ticket.data["satisfaction"])
    return {"by_manager": dict(by_manager), "by_branch": dict(by_branch),
            "satisfaction_by_tier": {tier: {"answers": len(a), "average": round(sum(a) / len(a), 2)}
                                     for tier, a in sorted(answers.items())}}


def _tally() -> dict:
    return {"planned": 0, "done": 0, "not_reached": 0, "open": 0}


def _state(ticket: Ticket) -> str:
    outcome = _outcome(ticket)
    return "done" if outcome in DONE else "not_reached" if outcome == "not_reached" else "open"


def report(viewer: User, span: DateRange, plan: str | None = None) -> Report:
    """``counts`` as report tables, for the report pages and their spreadsheets."""
    found = counts(viewer, span, plan)
    states = ("planned", "done", "not_reached", "open")
    return Report("revisits", span, [
        Table("by_manager", ("username", *states), [(k, *(v[s] for s in states))
                                                     for k, v in sorted(found["by_manager"].items())]),
        Table("by_branch", ("branch", *states), [(k, *(v[s] for s in states))
                                                 for k, v in sorted(found["by_branch"].items())]),
        Table("satisfaction_by_tier", ("tier", "satisfaction_count", "satisfaction_avg"),
              [(tier, v["answers"], v["average"]) for tier, v in found["satisfaction_by_tier"].items()]),
    ])
