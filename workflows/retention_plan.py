"""Retention plan (``bpmn/retention_plan.bpmn``): the operation that sums the attempts up for the evaluation and the
reports. The forms are ``bpmn/retention_plan.*.form.json``.

The report keys are ``outcome`` ("retained" | "lost"), ``churn_reason`` and ``retention_cost``; ``attempts``,
``attempts_cost`` and ``duration_days`` are kept on the ticket by ``retention_plan.summarise``.
"""

from engine import clock


def summarise(call) -> dict:
    """No parameters. Counts the attempts, their cost and the days since the signal, and keeps them on the ticket
    for the evaluation and the reports."""
    attempts = call.data.get("attempts", [])
    summary = {"attempts": len(attempts), "attempts_cost": sum(a.get("cost", 0) for a in attempts),
               "duration_days": (clock.now() - call.ticket.created_at).days}
    call.record_on_ticket(summary)
    return summary


HANDLERS = {"retention_plan.summarise": summarise}
OUTPUTS = {"retention_plan.summarise": ["attempts", "attempts_cost", "duration_days"]}
