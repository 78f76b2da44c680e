"""Changes to a customer's record: checked, applied, and each one written to the customer's history.

Customers are never deleted; what changes over their life (credit level, member card, archived as a
prospect, account manager) changes through ``change`` so that the history says who, when and why.
"""

from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import CREDIT_LEVELS, CUSTOMER_STATES, MEMBER_CARDS, TIERS, Customer, CustomerChange, Ticket, User

CHOICES = {"credit_level": CREDIT_LEVELS, "member_card": (*MEMBER_CARDS, None), "status": CUSTOMER_STATES,
           "tier": TIERS}
FREE_TEXT = ("name", "phone", "industry")
EDITABLE = (*CHOICES, *FREE_TEXT, "arpu", "points", "account_manager_id")


def get(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return customer


def change(customer: Customer, changes: dict, reason: str, actor: User | None = None,
           ticket: Ticket | None = None) -> list[CustomerChange]:
    """Apply ``changes`` (field → new value) and record one history row per field that really changed.

    Nothing is applied unless every field and value is valid. The caller owns the transaction.
    """
    values = _checked(changes)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a change to a customer needs a reason", [{"field": "reason", "message": "required"}])
    recorded = []
    for field, new in values.items():
        old = getattr(customer, field)
        if old == new:
            continue
        setattr(customer, field, new)
        row = CustomerChange(customer=customer, actor=actor, ticket=ticket,
                             field=field, old=_text(old), new=_text(new), reason=reason.strip())
        db.session.add(row)
        recorded.append(row)
    return recorded


def history(customer: Customer) -> list[CustomerChange]:
    return list(db.session.scalars(select(CustomerChange).where(CustomerChange.customer_id == customer.id)
                                   .order_by(CustomerChange.at, CustomerChange.id)))


def _checked(changes: dict) -> dict:
    """The changes converted to column values; raises InvalidInput naming every bad field at once."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("nothing to change", [{"field": None, "message": "give at least one field"}])
    values, problems = {}, []
    for field, value in changes.items():
        try:
            values[field] = _value(field, value)
        except ValueError as err:
            problems.append({"field": field, "message": str(err)})
    if problems:
        raise InvalidInput("the customer change has wrong values: " + ", ".join(p["field"] for p in problems),
                           problems)
    return values


def _value(field: str, value):
    if field not in EDITABLE:
        raise ValueError("not a field that can be changed")
    if field in CHOICES:
        if value not in CHOICES[field]:
            raise ValueError("must be one of " + ", ".join(str(c) for c in CHOICES[field]))
        return value
    if field in FREE_TEXT:
        if not isinstance(value, str) or (field == "name" and not value.strip()):
            raise ValueError("must be text" + (" and not empty" if field == "name" else ""))
        return value.strip()
    if field == "arpu":
        try:
            amount = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("must be an amount in yuan") from None
        if not amount.is_finite() or amount < 0:
            raise ValueError("must be an amount of zero or more")
        return amount.quantize(Decimal("0.01"))
    if field == "points":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError("must be a whole number of zero or more")
        return value
    if value is not None and db.session.get(User, value) is None:  # account_manager_id
        raise ValueError(f"no user {value}")
    return value


def _text(value) -> str | None:
    return None if value is None else str(value)
