"""The at-risk list for supervisors (004 §五.8): customers whose pre-churn score is under the threshold, highest
first, within the supervisor's branches; one click opens a retention plan for the customer's account manager."""

from flask import redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.churn import at_risk
from engine.errors import Conflict
from web.security import staff_blueprint

blueprint = staff_blueprint("churn", __name__)

KIND_LABELS = {"call_forwarding": _l("Call forwarding"), "bill_anomaly": _l("Bill anomaly"),
               "competitor_calls": _l("Calls to a competitor"), "rising_complaints": _l("Rising complaints"),
               "dissatisfied_revisits": _l("Dissatisfied revisits")}


@blueprint.get("/churn/at-risk")
def at_risk_list():
    tier = request.args.get("tier") if request.args.get("tier") in at_risk.TIERS else None
    return _page(tier)


def _page(tier: str | None, refused: str | None = None, status: int = 200):
    rows = at_risk.listing(current_user, tier, limit=500)
    return render_template("churn/at_risk.html", rows=rows, tier=tier, tiers=at_risk.TIERS, kind_labels=KIND_LABELS,
                           refused=refused), status


@blueprint.post("/churn/at-risk/<int:customer_id>/plan")
def open_plan(customer_id: int):
    try:
        ticket = at_risk.open_plan(current_user, customer_id)
    except Conflict as err:
        return _page(None, err.message, 409)
    return redirect(url_for("tickets.show", ticket_id=ticket.id))
