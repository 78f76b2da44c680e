"""Suggestions filed (004 §三.4.6 建议的受理、处理、统计; §二.2(4) 采纳的建议纳入统计): the yellow_consultation
tickets of kind ``suggestion`` closed in the range in the reader's branches, counted per month (local), branch and
department that answered, accepted (``suggestion_accepted``, set by the filing step) or not. One grouped query per
day; the days fold into months here."""

from collections import Counter

from sqlalchemy import func, select

from engine.db import db
from engine.directory import branches, permissions
from engine.models import Branch, ProcessModel, ProcessVersion, Ticket, User
from engine.report_range import DateRange
from engine.report_sql import day_of, local_day
from engine.reports import Report, Table

PROCESS = "yellow_consultation"


def report(viewer: User, span: DateRange) -> Report:
    permissions.require(viewer, "reports")
    day = local_day(Ticket.closed_at, span.tz, span.start, span.end)
    accepted = func.coalesce(Ticket.data["suggestion_accepted"].as_boolean(), False)
    department = Ticket.data["answered_by"].as_string()
    rows = db.session.execute(
        select(day, Branch.code, department, accepted, func.count()).select_from(Ticket)
        .join(ProcessVersion, ProcessVersion.id == Ticket.process_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessVersion.model_id)
        .outerjoin(Branch, Branch.id == Ticket.branch_id)
        .where(ProcessModel.key == PROCESS, Ticket.status == "closed", Ticket.data["kind"].as_string() == "suggestion",
               Ticket.closed_at >= span.start, Ticket.closed_at < span.end,
               branches.visible(viewer, Ticket.branch_id))
        .group_by(day, Branch.code, department, accepted)).all()
    detail: Counter = Counter()
    for on, branch, answered_by, was_accepted, count in rows:
        detail[(day_of(on)[:7], branch, answered_by, bool(was_accepted))] += count
    return Report("suggestions", span, [
        _table("by_month", detail, lambda key: (key[0], key[1], key[2]), ("month", "branch", "department")),
        _table("by_department", detail, lambda key: (key[2],), ("department",)),
        _table("by_branch", detail, lambda key: (key[1],), ("branch",)),
    ])


def _table(name: str, detail: Counter, group, columns: tuple[str, ...]) -> Table:
    """Suggestions, accepted and not accepted per ``group`` of the detail's keys."""
    totals: dict[tuple, list[int]] = {}
    for key, count in detail.items():
        entry = totals.setdefault(group(key), [0, 0])
        entry[0 if key[3] else 1] += count
    rows = [(*g, yes + no, yes, no) for g, (yes, no) in sorted(totals.items(), key=lambda i: [v or "" for v in i[0]])]
    return Table(name, (*columns, "suggestions", "accepted", "not_accepted"), rows)
