"""Retention plan (``bpmn/retention_plan.bpmn``): the operation that sums the attempts up for the evaluation and the
reports. The forms are ``bpmn/retention_plan.*.form.json``.

The report keys are ``outcome`` ("retained" | "lost"), ``churn_reason`` and ``retention_cost``; ``attempts``,
``attempts_cost`` and ``duration_days`` are kept on the ticket by ``retention_plan.summarise``;
``retention_plan.record`` writes the closed plan into the plan library (engine/retention_library).
"""

from engine import clock
from engine.retention_library import results


def summarise(call) -> dict:
    """No parameters. Counts the attempts, their cost and the days since the signal, and keeps them on the ticket
    for the evaluation and the reports."""
    attempts = call.data.get("attempts", [])
    summary = {"attempts": len(attempts), "attempts_cost": sum(a.get("cost", 0) for a in attempts),
               "duration_days": (clock.now() - call.ticket.created_at).days}
    call.record_on_ticket(summary)
    return summary


def record(call) -> dict:
    """No parameters. The closed plan recorded against its entry of the plan library (the plan chosen, retained or
    lost, the churn reason, the lesson), where the library's page counts it."""
    row = results.record(call.ticket, call.data)
    return {"plan": row.plan_code, "in_library": row.plan is not None}


HANDLERS = {"retention_plan.summarise": summarise, "retention_plan.record": record}
OUTPUTS = {"retention_plan.summarise": ["attempts", "attempts_cost", "duration_days"],
           "retention_plan.record": ["plan", "in_library"]}
