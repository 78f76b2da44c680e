"""Pre-churn signals (004 §三.2.6, §五.8): report one for a customer, read a customer's signals, and the
supervisors' at-risk list (engine/churn). Signals in bulk come through the imports (kind ``signals``)."""

from flask import g, request

from engine import customer_views
from engine.churn import at_risk, outcomes, signals
from engine.churn.models import ChurnScore, ChurnSignal
from engine.errors import InvalidInput
from web import report_views
from web.api import blueprint, int_arg, json_body
from web.api import serialize as out


def signal_body(s: ChurnSignal) -> dict:
    return {"id": s.id, "customer_id": s.customer_id, "kind": s.kind, "details": s.details, "count": s.count,
            "observed_on": s.observed_on.isoformat(), "source": s.source, "reference": s.reference,
            "reported_by": out.username(s.reported_by), "created_at": out.when(s.created_at)}


def score_body(row: ChurnScore | None) -> dict | None:
    if row is None:
        return None
    return {"customer": out.customer(row.customer), "score": row.score, "threshold": row.threshold,
            "weights": row.weights, "scored_at": out.when(row.scored_at),
            "plan_ticket": row.plan_ticket.number if row.plan_ticket else None}


@blueprint.post("/customers/<int:customer_id>/signals")
def report_signal(customer_id: int):
    """Report a pre-churn signal; the customer is weighed at once by the decision table churn_signal_weight.
    At or over the threshold a retention_plan ticket opens for the account manager (never a second while one is
    open: `outcome` plan_open); under it the customer is on the at-risk list (`outcome` at_risk).
    ---
    post:
      tags: [churn]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [kind, details]
              properties:
                kind: {type: string, enum: [call_forwarding, bill_anomaly, competitor_calls, rising_complaints]}
                details: {type: string, maxLength: 2000}
                observed_on: {type: string, format: date, description: "default today; not in the future"}
                count: {type: integer, minimum: 0, description: "how many (complaints); default 1"}
      responses:
        201: {description: "the signal, the outcome (opened, plan_open, at_risk, clear) and the score"}
    """
    signal, outcome, score = signals.receive(g.actor, customer_id, json_body())
    return {"signal": signal_body(signal), "outcome": outcome, "score": score_body(score)}, 201


@blueprint.get("/customers/<int:customer_id>/signals")
def list_signals(customer_id: int):
    """The customer's signals, newest first, and its score. The read is logged.
    ---
    get:
      tags: [churn]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the signals and the score}
    """
    customer = customer_views.open_record(g.actor, customer_id, "api", "signals")
    return {"signals": [signal_body(s) for s in signals.of(customer)],
            "score": score_body(signals.score_of(customer))}


@blueprint.get("/churn/at-risk")
def list_at_risk():
    """Customers of the caller's branches with a score under the threshold, highest first (supervisors, admins).
    ---
    get:
      tags: [churn]
      parameters:
        - {in: query, name: tier, schema: {type: string, enum: ["A+", A, B, C]}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 500}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200: {description: the customers at risk with their scores}
    """
    tier = request.args.get("tier") or None
    if tier is not None and tier not in at_risk.TIERS:
        raise InvalidInput(f"tier must be one of {', '.join(at_risk.TIERS)}",
                           [{"field": "tier", "message": f"one of {', '.join(at_risk.TIERS)}",
                             "message_zh": f"必须是以下之一：{'、'.join(at_risk.TIERS)}"}])
    found = at_risk.listing(g.actor, tier, limit=int_arg("limit", 50, 1, 500), offset=int_arg("offset", 0, 0, 10**9))
    return {"at_risk": [score_body(row) for row in found]}


@blueprint.post("/churn/at-risk/<int:customer_id>/plan")
def plan_for_at_risk(customer_id: int):
    """Open a retention plan for a customer at risk now (a supervisor's judgement); 409 while one is open.
    ---
    post:
      tags: [churn]
      parameters: [{in: path, name: customer_id, required: true, schema: {type: integer}}]
      responses:
        201: {description: the retention plan's ticket}
    """
    return out.ticket(at_risk.open_plan(g.actor, customer_id)), 201


@blueprint.get("/churn/outcomes")
def churn_outcomes():
    """Retention plans closed in the range (both days included) within the caller's branches: per plan retained,
    lost, average cost and the supervisors' lessons; the churn reasons of the customers lost (supervisors,
    managers, admins).
    ---
    get:
      tags: [churn]
      parameters:
        - {in: query, name: start, schema: {type: string, format: date}}
        - {in: query, name: end, schema: {type: string, format: date}}
        - {in: query, name: tz, schema: {type: string}}
      responses:
        200: {description: the plans' outcomes and the churn reasons}
        400: {$ref: '#/components/responses/Error'}
    """
    span = report_views.date_range(g.actor)
    return {"range": span.as_dict(), **outcomes.report(g.actor, span)}
