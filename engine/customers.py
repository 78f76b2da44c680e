"""Customer records: find and read them within the reader's branches, and change them with a history.

Every change to a customer, its contacts or its contracts goes through this module and leaves one
``CustomerChange`` row per field (who, when, why, and the ticket when a process step made it);
nothing is ever deleted.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exists, false, func, or_, select
from sqlalchemy.orm.attributes import set_committed_value

from engine import fields
from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput, NotFound
from engine.models import (
    CREDIT_LEVELS,
    CUSTOMER_LANGUAGES,
    CUSTOMER_STATES,
    MEMBER_CARDS,
    TIERS,
    Branch,
    Contact,
    Contract,
    Customer,
    CustomerChange,
    Ticket,
    User,
)


def _user(value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or db.session.get(User, value) is None):
        raise fields.Wrong(f"no user {value}", f"没有用户 {value}")
    return value


def _branch(value):
    branch = None if isinstance(value, bool) or not isinstance(value, int) else db.session.get(Branch, value)
    if branch is None:
        raise fields.Wrong(f"no branch {value}", f"没有分支机构 {value}")
    if not branch.active:
        raise fields.Wrong(f"branch {branch.code} is deactivated", f"分支机构 {branch.code} 已停用")
    return value


FIELDS = {
    "credit_level": fields.choice(CREDIT_LEVELS), "member_card": fields.choice((*MEMBER_CARDS, None)),
    "status": fields.choice(CUSTOMER_STATES), "tier": fields.choice(TIERS),
    "name": fields.text(required=True), "phone": fields.phone, "industry": fields.text(limit=64),
    "arpu": fields.amount, "points": fields.whole, "account_manager_id": _user, "branch_id": _branch,
    "language": fields.choice(CUSTOMER_LANGUAGES), "no_sms": fields.flag,
}
EDITABLE = tuple(FIELDS)


@contextmanager
def saved() -> Iterator[None]:
    """Commit what the block changed, or roll all of it back."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def get(customer_id: int, viewer: User | None = None) -> Customer:
    """The customer; with a ``viewer``, only within their branches (outside them it does not exist)."""
    query = select(Customer).where(Customer.id == customer_id)
    if viewer is not None:
        query = query.where(branches.visible(viewer, Customer.branch_id))
    customer = db.session.scalar(query) if isinstance(customer_id, int) else None
    if customer is None:
        raise NotFound(f"no customer {customer_id}")
    return customer


def of_ticket(ticket: Ticket) -> Customer | None:
    """The ticket's customer. Held by the ticket once read: a step asks several times (facts, clocks, alerts), and
    the session keeps an object nobody holds only until it is garbage-collected. A ticket being created may have
    its customer_id without the customer object."""
    if ticket.customer_id is None:
        return None
    if ticket.customer is None or ticket.customer.id != ticket.customer_id:
        set_committed_value(ticket, "customer", db.session.get(Customer, ticket.customer_id))
    return ticket.customer


def search(viewer: User, q: str | None = None, limit: int = 50, offset: int = 0) -> list[Customer]:
    """Customers the viewer may see whose name, code or phone, a contact's phone or a contract number holds ``q``."""
    query = select(Customer).where(branches.visible(viewer, Customer.branch_id))
    term = (q or "").strip()
    if term:
        digits = phone_digits(term)
        query = query.where(or_(
            Customer.name.icontains(term, autoescape=True), Customer.code.icontains(term, autoescape=True),
            phone_holds(Customer.phone, digits),
            exists().where(Contact.customer_id == Customer.id, phone_holds(Contact.phone, digits)),
            exists().where(Contract.customer_id == Customer.id, Contract.number.icontains(term, autoescape=True)),
        ))
    return list(db.session.scalars(query.order_by(Customer.name, Customer.id).limit(limit).offset(offset)))


PHONE_SEPARATORS = (" ", "-", "(", ")", ".")


def phone_digits(text: str) -> str | None:
    """``text`` as a phone number without separators ("138 0000-0012" -> "13800000012"), or None when it is
    not one (a phone has at least three digits and only digits, separators and a leading +)."""
    bare = text.strip()
    for mark in PHONE_SEPARATORS:
        bare = bare.replace(mark, "")
    return bare if len(bare.lstrip("+")) >= 3 and bare.lstrip("+").isdigit() else None


def phone_holds(column, digits: str | None):
    """A WHERE condition: the stored phone, written with any spacing, contains ``digits`` (none: false)."""
    if digits is None:
        return false()
    for mark in PHONE_SEPARATORS:
        column = func.replace(column, mark, "")
    return column.contains(digits.lstrip("+"), autoescape=True)


def update(actor: User, customer_id: int, changes: dict, reason: str) -> list[CustomerChange]:
    """A member of staff changes a customer of their branches; a move goes only to a branch they see."""
    with saved():
        customer = get(customer_id, actor)
        if isinstance(changes, dict) and "branch_id" in changes and not branches.can_see(actor, changes["branch_id"]):
            branch = changes["branch_id"]
            raise InvalidInput("the customer change has wrong values: branch_id",
                               [fields.problem("branch_id", f"no branch {branch}", f"没有分支机构 {branch}")])
        recorded = change(customer, changes, reason, actor)
        if {"account_manager_id", "branch_id"} & set(changes):
            manager = db.session.get(User, customer.account_manager_id) if customer.account_manager_id else None
            problems = manager_problems(manager, customer.branch_id, "account_manager_id")
            if problems:  # saved() rolls the change back
                raise InvalidInput("the customer change has wrong values: account_manager_id", problems)
        return recorded


def manager_problems(manager: User | None, branch_id: int | None, field: str) -> list[dict]:
    """A customer's account manager must hold the manager role and see the customer's branch."""
    if manager is None:
        return []
    if not manager.has_role("manager"):
        return [fields.problem(field, f"{manager.username} does not have the account manager role",
                               f"{manager.username} 没有客户经理角色")]
    if not branches.can_see(manager, branch_id):
        return [fields.problem(field, f"{manager.username} does not see the customer's branch",
                               f"{manager.username} 看不到该客户所在的分支机构")]
    return []


def change(customer: Customer, changes: dict, reason: str, actor: User | None = None,
           ticket: Ticket | None = None) -> list[CustomerChange]:
    """Apply ``changes`` (field → new value) and record one history row per field that really changed.

    Nothing is applied unless every field and value is valid. The caller owns the transaction.
    """
    values = fields.checked(FIELDS, changes, "customer change")
    return apply(customer, customer, values, reason, actor, ticket)


def apply(customer: Customer, target, values: dict, reason: str, actor: User | None = None,
          ticket: Ticket | None = None) -> list[CustomerChange]:
    """Set checked ``values`` on ``target`` (the customer, a contact or a contract) with one history row each."""
    why = require_reason(reason)
    recorded = []
    for field, new in values.items():
        old = getattr(target, field)
        if old == new:
            continue
        setattr(target, field, new)
        recorded.append(record(customer, field, old, new, why, actor, ticket, target))
    return recorded


def record(customer: Customer, field: str, old, new, reason: str, actor: User | None,
           ticket: Ticket | None = None, target=None) -> CustomerChange:
    """One history row; ``target`` says which contact or contract the field belongs to."""
    row = CustomerChange(customer=customer, actor=actor, ticket=ticket, field=field, old=_text(old), new=_text(new),
                         reason=reason, contact=target if isinstance(target, Contact) else None,
                         contract=target if isinstance(target, Contract) else None)
    db.session.add(row)
    return row


def require_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("a change to a customer needs a reason",
                           [fields.problem("reason", "required: say why, for the customer's history",
                                           "必填：请说明修改原因（记入客户历史）")])
    return reason.strip()


def history(customer: Customer, newest_first: bool = False, limit: int | None = None,
            offset: int = 0) -> list[CustomerChange]:
    """The customer's changes in order (the record page pages through them newest first)."""
    order = (CustomerChange.at.desc(), CustomerChange.id.desc()) if newest_first else (CustomerChange.at,
                                                                                       CustomerChange.id)
    return list(db.session.scalars(select(CustomerChange).where(CustomerChange.customer_id == customer.id)
                                   .order_by(*order).limit(limit).offset(offset)))


def _text(value) -> str | None:
    return None if value is None else str(value)[:256]
