"""Revisit plans (``bpmn/revisit_plan.bpmn``: monthly and quarterly; ``bpmn/revisit_query.bpmn``: a supervisor's
query): the operation that hands a plan out as one ``customer_revisit`` ticket per customer (engine/revisits)."""

CRITERIA = ("branch", "tier", "industry", "member_card", "last_revisit_days", "due_days")


def open_visits(call) -> dict:
    """No parameters. Reads ``plan_kind`` (monthly, quarterly, query) and, for a query, the start form's criteria;
    the customers are those of the ticket's branches."""
    from engine.revisits import plans  # engine.revisits opens tickets, and the engine imports workflows

    criteria = {key: call.data.get(key) for key in CRITERIA}
    actor = call.actor or call.ticket.creator
    return plans.hand_out(actor, call.ticket, call.data["plan_kind"], criteria, call.scope())


HANDLERS = {"revisit_plan.open_visits": open_visits}
OUTPUTS = {"revisit_plan.open_visits": ["planned", "due_on", "period", "left_out", "tickets"]}
