"""A customer's contracts, with the expiry the desk watches. Edited with a history; ended, never deleted."""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from engine import clock, customers, fields
from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import CONTRACT_STATES, Contract, Customer, Ticket, User

EXPIRING_DAYS = 60  # an active contract ending within this many days is flagged "expiring"
FIELDS = {"number": fields.text(required=True, limit=64), "title": fields.text(required=True),
          "start_date": fields.day, "end_date": fields.optional_day, "amount": fields.optional_amount,
          "status": fields.choice(CONTRACT_STATES)}
REQUIRED = ("number", "title", "start_date")


@dataclass(frozen=True)
class Expiry:
    state: str  # current | expiring | expired | ended | open-ended
    days_left: int | None


def of(customer: Customer) -> list[Contract]:
    """The customer's contracts, the one ending soonest first, ended ones last."""
    return list(db.session.scalars(select(Contract).where(Contract.customer_id == customer.id).order_by(
        (Contract.status == "ended"), Contract.end_date.is_(None), Contract.end_date, Contract.id)))


def today() -> date:
    """Today in the desk's time zone: a contract ends at the end of its last day there."""
    return clock.now().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).date()


def expiry(contract: Contract, on: date | None = None) -> Expiry:
    if contract.status == "ended":
        return Expiry("ended", None)
    if contract.end_date is None:
        return Expiry("open-ended", None)
    days = (contract.end_date - (on or today())).days
    state = "expired" if days < 0 else "expiring" if days <= EXPIRING_DAYS else "current"
    return Expiry(state, days)


def add(actor: User, customer_id: int, values: dict, reason: str) -> Contract:
    with customers.saved():
        return enter(customers.get(customer_id, actor), values, reason, actor)


def enter(customer: Customer, values: dict, reason: str, actor: User | None, ticket: Ticket | None = None) -> Contract:
    """Put a contract on the customer's record, with a line in its history; ``ticket``: the one it was signed
    through. Runs inside the caller's transaction (a staff edit, or the process step that signed it)."""
    given = values if isinstance(values, dict) else {}
    checked = fields.checked(FIELDS, {**dict.fromkeys(REQUIRED, ""), **given}, "contract")
    why = customers.require_reason(reason)
    contract = Contract(customer=customer, ticket=ticket, **checked)
    _check(contract)
    db.session.add(contract)
    customers.record(customer, "contract", None, contract.number, why, actor, ticket=ticket, target=contract)
    return contract


def update(actor: User, customer_id: int, contract_id: int, changes: dict, reason: str) -> Contract:
    """Change a contract; ``{"status": "ended"}`` ends it (it stays on the record)."""
    with customers.saved():
        customer = customers.get(customer_id, actor)
        contract = db.session.get(Contract, contract_id) if isinstance(contract_id, int) else None
        if contract is None or contract.customer_id != customer.id:
            raise NotFound(f"customer {customer.code} has no contract {contract_id}")
        values = fields.checked(FIELDS, changes, "contract")
        with db.session.no_autoflush:
            customers.apply(customer, contract, values, reason, actor)
            _check(contract)
    return contract


def _check(contract: Contract) -> None:
    """Rules across fields: the end is not before the start; the number is not another contract's."""
    problems = []
    if contract.end_date is not None and contract.end_date < contract.start_date:
        problems.append(fields.problem("end_date", "must not be before the start date", "不能早于开始日期"))
    clash = select(Contract.id).where(Contract.number == contract.number, Contract.id != (contract.id or 0))
    if db.session.scalar(clash) is not None:
        problems.append(fields.problem("number", f"contract number {contract.number} is in use",
                                       f"合同编号 {contract.number} 已被使用"))
    if problems:
        raise InvalidInput("the contract has wrong values: " + ", ".join(p["field"] for p in problems), problems)
