"""Record a signal and weigh its customer at once; the score opens a retention plan or puts the customer at risk.

A customer's score is the sum, over the kinds of signal, of the strongest weight of each kind still counting: a
signal from the operator's systems counts ``churn.window_days`` days, a derived one until the next nightly pass
(it is derived afresh each night). Three strong signals on a key account (call forwarding, calls to a competitor,
a bill anomaly: 40 + 35 + 30) reach the shipped threshold of 100 (004 §三.2.6: "离网预警…自动提醒").
"""

from datetime import date, timedelta

from sqlalchemy import Select, select

from engine import clock, contracts, customers, deployments, fields, tickets
from engine.churn import rules
from engine.churn.models import KINDS, ChurnScore, ChurnSignal
from engine.db import db
from engine.directory import permissions
from engine.errors import InvalidInput
from engine.models import Customer, ProcessModel, ProcessVersion, Ticket, User

FROM_SYSTEMS = KINDS[:4]  # what the API and imports may report; dissatisfied revisits are the desk's own finding
SPEC = {"kind": fields.choice(FROM_SYSTEMS), "details": fields.text(required=True, limit=2000),
        "observed_on": fields.optional_day, "count": fields.whole}


def checked(body: object) -> dict:
    """The signal's fields, or InvalidInput naming each wrong one (English and Chinese); observed_on: today."""
    values = fields.checked(SPEC, fields.complete(body, SPEC) | _count_default(body), "signal")
    today = contracts.today()
    if values["observed_on"] is None:
        values["observed_on"] = today
    elif values["observed_on"] > today:
        raise InvalidInput("observed_on lies in the future",
                           [fields.problem("observed_on", "must be today or earlier", "不能晚于今天")])
    return values


def _count_default(body: object) -> dict:
    return {"count": 1} if isinstance(body, dict) and body.get("count") is None else {}


def receive(actor: User, customer_id: int, body: object) -> tuple[ChurnSignal, str, ChurnScore]:
    """A signal from the API: checked, kept, its customer weighed at once, all in one step (a refused signal
    changes nothing). Returns the signal, the outcome (see ``assess``) and the customer's score."""
    permissions.require(actor, "report_signals")
    with tickets.step():
        customer = customers.get(customer_id, actor)
        signal = report(actor, customer, checked(body), "api")
        db.session.flush()
        outcome = weigh_customer(actor, customer)
        db.session.flush()  # the score row may be new: read it back as stored
        score = db.session.get(ChurnScore, customer.id)
    return signal, outcome, score


def of(customer: Customer) -> list[ChurnSignal]:
    """The customer's signals, newest first."""
    return list(db.session.scalars(select(ChurnSignal).where(ChurnSignal.customer_id == customer.id)
                                   .order_by(ChurnSignal.observed_on.desc(), ChurnSignal.id.desc())))


def score_of(customer: Customer) -> ChurnScore | None:
    return db.session.get(ChurnScore, customer.id)


def report(actor: User, customer: Customer, values: dict, source: str) -> ChurnSignal:
    """Keep a checked signal; the caller weighs the customer in the same transaction."""
    signal = ChurnSignal(customer=customer, source=source, reported_by=actor, created_at=clock.now(), **values)
    db.session.add(signal)
    return signal


def counting(customer_ids: list[int] | Select, today: date) -> list[ChurnSignal]:
    """The signals of these customers (ids, or a query of them: a nightly pass covers whole branches) that still
    count today."""
    since = today - timedelta(days=rules.setting("churn.window_days"))
    found = db.session.scalars(select(ChurnSignal).where(ChurnSignal.customer_id.in_(customer_ids),
                                                         ChurnSignal.observed_on >= since)
                               .order_by(ChurnSignal.customer_id, ChurnSignal.id))
    fresh = today - timedelta(days=1)
    return [s for s in found if s.source != "derived" or s.observed_on >= fresh]


def item(signal: ChurnSignal) -> dict:
    """What the decision table reads of a signal."""
    return {"customer_id": signal.customer_id, "kind": signal.kind, "tier": signal.customer.tier,
            "count": signal.count, "details": signal.details, "observed_on": signal.observed_on.isoformat()}


def weigh_customer(actor: User, customer: Customer) -> str:
    """Weigh the customer's counting signals now and act on the score (see ``assess``)."""
    items = [item(s) for s in counting([customer.id], contracts.today())]
    return assess(actor, customer, items, rules.weigh(items))


def assess(actor: User, customer: Customer, items: list[dict], points: list[int]) -> str:
    """Keep the customer's score; at or over the threshold open a retention plan unless one is open. Returns
    'opened', 'plan_open' (one was open already), 'at_risk' (under the threshold) or 'clear' (no points)."""
    strongest = strongest_of(items, points)
    score, threshold = sum(w for w, _ in strongest.values()), rules.setting("churn.threshold")
    row = db.session.get(ChurnScore, customer.id) or ChurnScore(customer_id=customer.id)
    row.score, row.threshold, row.scored_at = score, threshold, clock.now()
    row.weights = {kind: weight for kind, (weight, _) in strongest.items()}
    db.session.add(row)
    if score < threshold:
        return "at_risk" if score > 0 else "clear"
    if open_plan(customer) is not None:
        return "plan_open"
    row.plan_ticket = open_retention_plan(actor, customer, score, threshold, strongest)
    return "opened"


def strongest_of(items: list[dict], points: list[int]) -> dict[str, tuple[int, dict]]:
    """Per kind, the signal with the most points (and those points): a kind counts once however often seen."""
    strongest: dict[str, tuple[int, dict]] = {}
    for signal, weight in zip(items, points, strict=True):
        if weight > 0 and weight > strongest.get(signal["kind"], (0, None))[0]:
            strongest[signal["kind"]] = (weight, signal)
    return strongest


def open_plan(customer: Customer) -> Ticket | None:
    """The customer's retention plan still open, read under a lock on the customer's row, so that two signals
    weighed at the same moment cannot both open one (PostgreSQL; SQLite writes one at a time anyway)."""
    db.session.scalar(select(Customer.id).where(Customer.id == customer.id).with_for_update())
    return db.session.scalar(select(Ticket).join(ProcessVersion).join(ProcessModel)
                             .where(ProcessModel.key == "retention_plan", Ticket.customer_id == customer.id,
                                    Ticket.status.in_(("open", "incident"))).limit(1))


def open_retention_plan(actor: User, customer: Customer, score: int, threshold: int,
                        strongest: dict[str, tuple[int, dict]]) -> Ticket:
    """A retention_plan ticket for the customer, inside the caller's step: its signal is the strongest one, its
    details list every signal that counted with its points (the account manager's first reading)."""
    kind, (_, top) = max(strongest.items(), key=lambda entry: entry[1][0])
    lines = [f"{k} +{w}: {s['details']} ({s['observed_on']})" for k, (w, s) in
             sorted(strongest.items(), key=lambda entry: -entry[1][0])]
    heading = f"Churn score {score} (threshold {threshold}) / 离网预警评分 {score}（阈值 {threshold}）"
    details = "\n".join([heading, *lines])
    data = {"signal": kind, "details": details[:2000], "detected_on": top["observed_on"], "churn_score": score}
    return tickets.open_ticket(actor, deployments.latest_version("retention_plan"),
                               f"Churn risk {customer.code} (score {score})", customer.id, "high", data)
