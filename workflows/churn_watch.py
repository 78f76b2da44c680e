"""Pre-churn watch (``bpmn/churn_watch.bpmn``): the nightly pass's operations. ``churn_watch.derive`` writes the
night's derived signals and lists every signal that counts in the ticket's branches (plus the customers whose
earlier score must drop back); the business rule task weighs each; ``churn_watch.assess`` sums them per customer
and opens the retention plans (engine/churn)."""

from sqlalchemy import select

from engine import contracts
from engine.churn.models import ChurnScore
from engine.db import db
from engine.directory import branches
from engine.models import Customer


def derive(call) -> list[dict]:
    """No parameters. The signals to weigh: one entry per signal; a customer with a score but no signal left
    gets an entry of kind ``none`` (the table gives it 0 points), so that its score is weighed again."""
    from engine.churn import derived, signals  # engine.churn opens tickets, and the engine imports workflows

    today = contracts.today()
    derived.derive(call.scope(), today)
    in_scope = select(Customer.id).where(Customer.status == "active", branches.within(call.scope(), Customer.branch_id))
    found = [signals.item(s) for s in signals.counting(in_scope, today)]
    scored = db.session.scalars(select(ChurnScore).where(ChurnScore.score > 0, ChurnScore.customer_id.in_(in_scope)))
    seen = {entry["customer_id"] for entry in found}
    return found + [{"customer_id": row.customer_id, "kind": "none", "tier": row.customer.tier, "count": 0,
                     "details": "", "observed_on": today.isoformat()} for row in scored if row.customer_id not in seen]


def assess(call) -> dict:
    """No parameters. Reads ``signals`` and the decision table's ``weights``; per customer: scored, plan opened,
    at risk."""
    from engine.churn import signals  # engine.churn opens tickets, and the engine imports workflows

    per_customer: dict[int, list[tuple[dict, int]]] = {}
    for entry, weighed in zip(call.data["signals"], call.data["weights"], strict=True):
        per_customer.setdefault(entry["customer_id"], []).append((entry, int((weighed or {}).get("points") or 0)))
    actor = call.actor or call.ticket.creator
    outcomes = [signals.assess(actor, db.session.get(Customer, customer_id), [e for e, _ in pairs],
                               [w for _, w in pairs]) for customer_id, pairs in per_customer.items()]
    return {"scored": len(outcomes), "opened": outcomes.count("opened"), "at_risk": outcomes.count("at_risk")}


HANDLERS = {"churn_watch.derive": derive, "churn_watch.assess": assess}
OUTPUTS = {"churn_watch.assess": ["scored", "opened", "at_risk"]}
