"""A closed retention plan recorded against its library entry (004 §五.8.6: the plan, kept or lost, the lesson),
and the churn reasons reported (004 §五.8.7 客户流失原因分析): the closed plans per reason, outcome and branch."""

from decimal import Decimal

from sqlalchemy import func, select

from engine import clock, reports
from engine.db import db
from engine.directory import branches, permissions
from engine.models import Branch, Ticket, User
from engine.report_range import DateRange
from engine.retention_library import library
from engine.retention_library.models import OUTCOMES, RetentionResult


def record(ticket: Ticket, data: dict) -> RetentionResult:
    """Keep what the plan came to (``data``: the ticket's values at its last step); once per ticket, a second call
    (the step retried) changes the row it wrote."""
    code = data.get("plan") if isinstance(data.get("plan"), str) else library.OWN_PLAN
    entry = library.by_code(code)
    row = db.session.scalar(select(RetentionResult).where(RetentionResult.ticket_id == ticket.id))
    row = row or RetentionResult(ticket=ticket)
    row.plan, row.plan_code, row.branch_id = entry, code, ticket.branch_id
    row.outcome = data.get("outcome") if data.get("outcome") in OUTCOMES else "lost"
    row.churn_reason = _text(data.get("churn_reason"), 64) if row.outcome == "lost" else None
    row.effectiveness = _text(data.get("effectiveness"), 16)
    row.lessons = _text(data.get("lessons"), 4000) or ""
    row.cost = Decimal(str(data.get("retention_cost") or 0)).quantize(Decimal("0.01"))
    row.closed_at = clock.now()
    db.session.add(row)
    return row


def _text(value, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def churn_reasons(actor: User, span: DateRange) -> reports.Report:
    """The retention plans closed in the range in the reader's branches, counted per branch, outcome and churn
    reason (a retained customer has no reason), and per reason alone."""
    permissions.require(actor, "reports")
    where = (RetentionResult.closed_at >= span.start, RetentionResult.closed_at < span.end,
             branches.visible(actor, RetentionResult.branch_id))
    detail = db.session.execute(
        select(Branch.code, RetentionResult.outcome, RetentionResult.churn_reason, func.count())
        .select_from(RetentionResult).outerjoin(Branch, Branch.id == RetentionResult.branch_id).where(*where)
        .group_by(Branch.code, RetentionResult.outcome, RetentionResult.churn_reason)).all()
    per_reason = db.session.execute(
        select(RetentionResult.churn_reason, func.count()).where(*where, RetentionResult.outcome == "lost")
        .group_by(RetentionResult.churn_reason)).all()
    return reports.Report("churn_reasons", span, [
        reports.Table("by_reason", ("churn_reason", "lost"),
                      sorted((tuple(r) for r in per_reason), key=lambda r: (-r[1], r[0] or ""))),
        reports.Table("by_branch_outcome", ("branch", "outcome", "churn_reason", "plans"),
                      sorted((tuple(r) for r in detail), key=lambda r: (r[0] or "", r[1], r[2] or ""))),
    ])
