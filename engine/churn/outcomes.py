"""What closed retention plans teach (004 §五.8.6 挽留效果评估, §五.8.7 客户流失原因分析): per plan of the library the
plans closed in a range, retained and lost, the average cost and the lessons the supervisors wrote; and the churn
reasons of the customers lost. Read from the closed retention_plan tickets of the viewer's branches."""

from collections import defaultdict

from sqlalchemy import select

from engine.db import db
from engine.directory import branches, permissions
from engine.models import ProcessModel, ProcessVersion, Ticket, User
from engine.report_range import DateRange


def report(viewer: User, span: DateRange) -> dict:
    permissions.require(viewer, "reports")
    closed = db.session.scalars(
        select(Ticket).join(ProcessVersion).join(ProcessModel)
        .where(ProcessModel.key == "retention_plan", Ticket.status == "closed",
               Ticket.closed_at >= span.start, Ticket.closed_at < span.end, branches.visible(viewer, Ticket.branch_id))
        .order_by(Ticket.closed_at))
    plans: dict[str, dict] = defaultdict(lambda: {"closed": 0, "retained": 0, "lost": 0, "cost": 0.0, "lessons": []})
    reasons: dict[str, int] = defaultdict(int)
    for ticket in closed:
        data = ticket.data or {}
        entry = plans[data.get("plan") or "-"]
        entry["closed"] += 1
        entry[data.get("outcome") if data.get("outcome") in ("retained", "lost") else "lost"] += 1
        entry["cost"] += float(data.get("retention_cost") or 0)
        if data.get("lessons"):
            entry["lessons"].append({"ticket": ticket.number, "effectiveness": data.get("effectiveness"),
                                     "lessons": data["lessons"]})
        if data.get("outcome") == "lost":
            reasons[data.get("churn_reason") or "-"] += 1
    return {"plans": {key: {**{k: v for k, v in e.items() if k != "cost"},
                            "average_cost": round(e["cost"] / e["closed"], 2)} for key, e in sorted(plans.items())},
            "churn_reasons": dict(sorted(reasons.items(), key=lambda r: -r[1]))}
