"""Revisits (客户回访, 000 §二.3; 004 §五.7): a customer's revisits on its record, and the counts of planned against
done per account manager and branch with the satisfaction per tier (engine/revisits). Plans themselves are
tickets: revisit_plan (monthly, quarterly) and revisit_query (a supervisor's query), opened like any other."""

from flask import g, request

from engine import customer_views
from engine.revisits import records
from web import report_views
from web.api import blueprint
from web.api import serialize as out


def _revisit_body(entry: dict) -> dict:
    return {**entry, "closed_at": out.when(entry["closed_at"])}


@blueprint.get("/customers/<int:customer_id>/revisits")
def customer_revisits(customer_id: int):
    """The customer's revisits, newest first: plan, due day, state, outcome, satisfaction, problems, suggestions.
    The read is logged.
    ---
    get:
      tags: [revisits]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the revisits}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "revisits")
    return {"revisits": [_revisit_body(r) for r in records.of_customer(customer)]}


@blueprint.get("/revisits/report")
def revisit_report():
    """Revisits opened in the range (both days included) within the caller's branches, or of one plan: planned,
    done, not reached and open per account manager and per branch; satisfaction per tier (supervisors, managers,
    admins).
    ---
    get:
      tags: [revisits]
      parameters:
        - {in: query, name: start, schema: {type: string, format: date}}
        - {in: query, name: end, schema: {type: string, format: date}}
        - {in: query, name: tz, schema: {type: string}}
        - {in: query, name: plan, schema: {type: string}, description: "a plan's ticket number"}
      responses:
        200: {description: the counts}
        400: {$ref: '#/components/responses/Error'}
    """
    span = report_views.date_range(g.actor)
    return {"range": span.as_dict(), **records.counts(g.actor, span, request.args.get("plan") or None)}
