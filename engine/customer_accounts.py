"""Opening customer accounts (开户) and handing a manager's portfolio to another when they leave.

Staff with the right open customers within their branches; the account manager must hold the
manager role and see the customer's branch. Both operations write the customer's history with the
reason given, and a portfolio move takes the old manager's open tasks on those customers along,
each ticket recording it.
"""

from sqlalchemy import select

from engine import audit, clock, contacts, customers, fields
from engine.db import db
from engine.directory import branches, permissions
from engine.directory.branch_admin import active_branch
from engine.errors import InvalidInput
from engine.live import events as live
from engine.models import (
    ACTIVE_TASK_STATES,
    CREDIT_LEVELS,
    CUSTOMER_STATES,
    MEMBER_CARDS,
    TIERS,
    Branch,
    Contact,
    Customer,
    HumanTask,
    Ticket,
    User,
)

KINDS = ("group", "individual")


def _new_code(value) -> str:
    code = fields.text(required=True, limit=32)(value)
    if db.session.scalar(select(Customer.id).where(Customer.code == code)) is not None:
        raise fields.Wrong(f"customer {code} exists already", f"客户编码 {code} 已存在")
    return code


def _or(default, convert):
    """``convert``, with ``default`` for a missing or empty value."""
    return lambda value: default if value in (None, "") else convert(value)


def _manager(value) -> User:
    user = db.session.scalar(select(User).where(User.username == value, User.active)) if isinstance(value, str) \
        else None
    if user is None:
        raise fields.Wrong(f"no active user {value}", f"没有在职用户 {value}")
    if not user.has_role("manager"):
        raise fields.Wrong(f"{value} does not have the account manager role", f"{value} 没有客户经理角色")
    return user


def _contacts(value) -> list[dict]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise fields.Wrong("must be a list of contacts", "须为联系人列表")
    return value


NEW = {
    "code": _new_code, "name": fields.text(required=True), "kind": fields.choice(KINDS), "tier": fields.choice(TIERS),
    "industry": _or(None, fields.text(limit=64)), "phone": fields.phone, "branch": active_branch,
    "account_manager": _or(None, _manager), "credit_level": _or("red", fields.choice(CREDIT_LEVELS)),
    "member_card": _or(None, fields.choice(MEMBER_CARDS)), "status": _or("active", fields.choice(CUSTOMER_STATES)),
    "contacts": _or([], _contacts),
}


def create(actor: User, body: dict, reason: str) -> Customer:
    """A new customer in one of the actor's branches, with its contacts; all of it or nothing."""
    permissions.require(actor, "open_customers")
    with customers.saved():
        values = fields.checked(NEW, fields.complete(body, NEW), "customer")
        why = customers.require_reason(reason)
        branch, manager = values.pop("branch"), values.pop("account_manager")
        problems = _placement_problems(actor, branch, manager, "account_manager")
        people = values.pop("contacts")
        for n, person in enumerate(people):
            try:
                people[n] = fields.checked(contacts.FIELDS, {"name": None} | person, "contact")
            except InvalidInput as err:
                problems += [{**p, "field": f"contacts[{n}].{p['field']}"} for p in err.details]
        if problems:
            raise InvalidInput("the customer has wrong values: " + ", ".join(p["field"] for p in problems), problems)
        customer = Customer(**values, branch=branch, account_manager=manager)
        db.session.add(customer)
        customers.record(customer, "status", None, customer.status, why, actor)
        for person in people:
            contact = Contact(customer=customer, **person)
            db.session.add(contact)
            customers.record(customer, "contact", None, contact.name, why, actor, target=contact)
        return customer


def move_portfolio(actor: User, old: str, new: str, codes: list, reason: str) -> dict:
    """Give the customers ``codes`` of manager ``old`` to manager ``new``; the old manager's open tasks on their
    tickets follow. Every customer must be the old manager's and one the new manager sees, or nothing moves."""
    permissions.require(actor, "portfolio")
    with customers.saved():
        why = customers.require_reason(reason)
        values = fields.checked({"from": _manager, "to": _manager, "customers": _codes},
                                {"from": old, "to": new, "customers": codes}, "portfolio move")
        leaving, taking = values["from"], values["to"]
        found = {c.code: c for c in db.session.scalars(select(Customer).where(
            Customer.code.in_(values["customers"]), branches.visible(actor, Customer.branch_id)))}
        problems = []
        for code in values["customers"]:
            customer = found.get(code)
            if customer is None:
                problems.append(fields.problem("customers", f"no customer {code}", f"没有客户 {code}"))
            elif customer.account_manager_id != leaving.id:
                problems.append(fields.problem("customers", f"{code} is not {leaving.username}'s customer",
                                               f"{code} 不是 {leaving.username} 的客户"))
            elif not branches.can_see(taking, customer.branch_id):
                problems.append(fields.problem("customers", f"{taking.username} does not see {code}'s branch",
                                               f"{taking.username} 看不到 {code} 所在的分支机构"))
        if problems:
            raise InvalidInput("the portfolio move has wrong values: customers", problems)
        moved_tasks = 0
        for customer in found.values():
            customers.apply(customer, customer, {"account_manager_id": taking.id}, why, actor)
            moved_tasks += _hand_over_tasks(actor, customer, leaving, taking, why)
        return {"customers": sorted(found), "tasks": moved_tasks}


def _codes(value) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise fields.Wrong("must be a non-empty list of customer codes", "须为非空的客户编码列表")
    return sorted(set(value))


def _placement_problems(actor: User, branch: Branch, manager: User | None, manager_field: str) -> list[dict]:
    """The branch must be one the actor sees, and the manager must see it."""
    if not branches.can_see(actor, branch.id):
        return [fields.problem("branch", f"no branch {branch.code}", f"没有分支机构 {branch.code}")]
    return customers.manager_problems(manager, branch.id, manager_field)


def _hand_over_tasks(actor: User, customer: Customer, leaving: User, taking: User, reason: str) -> int:
    held = list(db.session.scalars(select(HumanTask).join(Ticket).where(
        Ticket.customer_id == customer.id, HumanTask.assignee_id == leaving.id,
        HumanTask.state.in_(ACTIVE_TASK_STATES))))
    for task in held:
        task.assignee = taking
        task.ticket.updated_at = clock.now()
        audit.record(task.ticket, actor, "reassigned", task, assignee=taking.username, previous=leaving.username,
                     reason=reason)
        live.emit("assigned", task, actor)
    return len(held)
