"""Importing customers with one contact each: new ones are created, changed ones updated field by field with history.

Rows are written with SQLAlchemy Core in batches (customers, contacts, and one ``customer_changes``
row per changed field, as engine.customers.apply records them), so a large file never becomes a
session full of ORM objects.
"""

from sqlalchemy import Select, insert, select, update
from sqlalchemy.orm import aliased

from engine import customers, fields
from engine.db import db
from engine.directory import branches
from engine.imports import checks
from engine.imports.checks import Row, code
from engine.imports.columns import Column
from engine.imports.scope import Scope
from engine.models import Branch, Contact, Customer, CustomerChange, User

KINDS = ("group", "individual")
COLUMNS = (
    Column("code", "客户编码", required=True), Column("name", "客户名称", required=True),
    Column("kind", "客户类型", required=True), Column("tier", "客户等级", required=True),
    Column("industry", "行业"), Column("branch", "归属机构", required=True), Column("account_manager", "客户经理"),
    Column("credit_level", "信用等级"), Column("member_card", "会员卡"), Column("contact_name", "联系人"),
    Column("contact_phone", "联系人电话"), Column("contact_email", "联系人邮箱"),
)
KEY = "code"
ADMIN_ONLY = False
PROFILE = ("name", "kind", "tier", "industry", "branch", "account_manager", "credit_level", "member_card")
CONTACT = {"contact_phone": "phone", "contact_email": "email"}


def states(keys: list[str]) -> dict[str, dict]:
    """The current record of each code: profile fields as text, ids, and the active contacts by name."""
    manager = aliased(User)
    query = (select(Customer.id, Customer.code, Customer.branch_id, Customer.account_manager_id, Customer.name,
                    Customer.kind, Customer.tier, Customer.industry, Branch.code.label("branch"),
                    manager.username.label("account_manager"), Customer.credit_level, Customer.member_card)
             .outerjoin(Branch, Customer.branch_id == Branch.id)
             .outerjoin(manager, Customer.account_manager_id == manager.id).where(Customer.code.in_(keys)))
    found = {row.code: {**row._asdict(), "contacts": {}} for row in db.session.execute(query)}
    by_id = {state["id"]: state for state in found.values()}
    contacts = select(Contact.id, Contact.customer_id, Contact.name, Contact.phone, Contact.email).where(
        Contact.customer_id.in_(list(by_id)), Contact.active.is_(True)).order_by(Contact.id)
    for contact in db.session.execute(contacts):
        by_id[contact.customer_id]["contacts"].setdefault(
            contact.name, {"id": contact.id, "phone": contact.phone, "email": contact.email})
    return found


def listed(scope: Scope) -> Select:
    return select(Customer.code).where(branches.within(scope.branch_ids, Customer.branch_id)).order_by(Customer.code)


def cells(state: dict) -> list:
    """The record with its first active contact, as the import reads it."""
    name, contact = next(iter(state["contacts"].items()), (None, {}))
    extra = {"contact_name": name, "contact_phone": contact.get("phone"), "contact_email": contact.get("email")}
    return checks.cells(COLUMNS, {**state, **extra})


def check(scope: Scope, values: dict[str, str], state: dict | None) -> Row:
    row = Row(values)
    row.take("code", code(32))
    row.take("name", customers.FIELDS["name"])
    row.take("kind", fields.choice(KINDS))
    row.take("tier", customers.FIELDS["tier"])
    row.take("industry", customers.FIELDS["industry"], empty=None)
    row.take("credit_level", customers.FIELDS["credit_level"], empty="red")
    row.take("member_card", customers.FIELDS["member_card"], empty=None)
    branch = row.take("branch", lambda value: _branch(scope, value, state and state["branch"]))
    row.take("account_manager", lambda value: _manager(scope, value, branch), empty=None)
    if "account_manager" not in values and state and state["account_manager"] and branch:
        _keeps_manager(scope, row, state["account_manager"], branch)
    contact = row.take("contact_name", fields.text(limit=128), empty=None)
    row.take("contact_phone", fields.phone)
    row.take("contact_email", fields.email)
    if not contact and (row.clean.get("contact_phone") or row.clean.get("contact_email")):
        row.fail("contact_name", "", "required when a contact phone or e-mail is given", "填写联系人电话或邮箱时必填")
    if state is not None and not scope.allows(state["branch_id"]):
        row.fail("code", values["code"], f"customer {values['code']} belongs to a branch outside yours",
                 f"客户 {values['code']} 属于您管辖范围以外的分支机构")
    return row


def _branch(scope: Scope, code: str, current: str | None) -> str:
    place = scope.usable_branch(code, current)
    if not scope.allows(place.id):
        raise fields.Wrong(f"branch {code} is outside your branches", f"分支机构 {code} 不在您的管辖范围内")
    return code


def _manager(scope: Scope, username: str, branch: str | None) -> str:
    """An account manager: an active user with the role manager who sees the customer's branch."""
    found = _known_user(scope, username)
    if found is None:
        raise fields.Wrong(f"no user {username}", f"没有用户 {username}")
    _, is_manager, visible = found
    if not is_manager:
        raise fields.Wrong(f"{username} is not an account manager (role manager)",
                           f"{username} 不是客户经理（需要 manager 角色）")
    place = scope.branch(branch) if branch else None
    if place is not None and visible is not None and place.id not in visible:
        raise fields.Wrong(f"{username} does not see branch {branch}", f"{username} 看不到分支机构 {branch}")
    return username


def _keeps_manager(scope: Scope, row: Row, username: str, branch: str) -> None:
    """A customer moved to another branch keeps its account manager only if they see that branch."""
    try:
        _manager(scope, username, branch)
    except fields.Wrong as err:
        row.fail("branch", branch, f"the account manager {username}: {err}", f"客户经理 {username}：{err.message_zh}")


def _known_user(scope: Scope, username: str) -> tuple[int, bool, set[int] | None] | None:
    """An active user's id, whether they are a manager, and the branches they see; looked up once per file."""
    known = scope.cache.setdefault("managers", {})
    if username not in known:
        user = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        known[username] = user and (user.id, user.has_role("manager"), branches.visible_ids(user))
    return known[username]


def differences(clean: dict, state: dict) -> dict:
    """Profile fields that differ, and the contact: added when no active contact has its name, else phone and e-mail."""
    changed = checks.changed({key: clean[key] for key in PROFILE if key in clean}, state)
    name = clean.get("contact_name")
    if name:
        contact = state["contacts"].get(name)
        if contact is None:
            changed["contact"] = (None, name)
        else:
            changed.update({column: (contact[field], clean[column]) for column, field in CONTACT.items()
                            if column in clean and contact[field] != clean[column]})
    return changed


NEW_DEFAULTS = {"industry": None, "account_manager": None, "credit_level": "red", "member_card": None}


def write(scope: Scope, rows: list, states: dict[str, dict], reason: str) -> list[dict]:
    """Create the new customers and update the changed ones, with one history row per field that changes."""
    new = [row for row in rows if row.action == "new"]
    ids = _insert_customers(scope, new)
    history = [history_row(scope, ids[row.key], "customer", None, row.key, reason) for row in new]
    contacts_to_add = [(ids[row.key], row.values) for row in new if row.values.get("contact_name")]
    profile_updates, contact_updates = [], []
    for row in (row for row in rows if row.action == "changed"):
        state = states[row.key]
        diff = differences(row.values, state)
        profile = _columns(scope, {key: value for key, (_, value) in diff.items() if key in PROFILE})
        if profile:
            profile_updates.append({"id": state["id"], **profile})
            history += [history_row(scope, state["id"], column, state[column], value, reason)
                        for column, value in profile.items()]
        if "contact" in diff:
            contacts_to_add.append((state["id"], row.values))
        contact = {CONTACT[key]: value for key, (_, value) in diff.items() if key in CONTACT}
        if contact:
            old = state["contacts"][row.values["contact_name"]]
            contact_updates.append({"id": old["id"], **contact})
            history += [history_row(scope, state["id"], field, old[field], value, reason, old["id"])
                        for field, value in contact.items()]
    if profile_updates:
        db.session.execute(update(Customer), profile_updates)
    if contact_updates:
        db.session.execute(update(Contact), contact_updates)
    history += _add_contacts(scope, contacts_to_add, reason)
    if history:
        db.session.execute(insert(CustomerChange), history)
    return []


def _insert_customers(scope: Scope, rows: list) -> dict[str, int]:
    """The new customers' ids by code."""
    if not rows:
        return {}
    profiles = [{"code": row.key, **_columns(scope, {**NEW_DEFAULTS, **row.values})} for row in rows]
    return dict(db.session.execute(insert(Customer).returning(Customer.code, Customer.id), profiles).all())


def _columns(scope: Scope, values: dict) -> dict:
    """Import fields as customer columns: the branch by its id, the account manager by theirs."""
    columns = {key: value for key, value in values.items() if key in PROFILE}
    if "branch" in columns:
        columns["branch_id"] = scope.branch(columns.pop("branch")).id
    if "account_manager" in columns:
        username = columns.pop("account_manager")
        columns["account_manager_id"] = _known_user(scope, username)[0] if username else None
    return columns


def _add_contacts(scope: Scope, new_contacts: list[tuple[int, dict]], reason: str) -> list[dict]:
    if not new_contacts:
        return []
    added = db.session.execute(insert(Contact).returning(Contact.customer_id, Contact.id), [
        {"customer_id": customer_id, "name": values["contact_name"], "role": "",
         "phone": values.get("contact_phone"), "email": values.get("contact_email")}
        for customer_id, values in new_contacts]).all()
    names = {customer_id: values["contact_name"] for customer_id, values in new_contacts}
    return [history_row(scope, customer_id, "contact", None, names[customer_id], reason, contact_id)
            for customer_id, contact_id in added]


def history_row(scope: Scope, customer_id: int, field: str, old, new, reason: str, contact_id: int | None = None,
                contract_id: int | None = None) -> dict:
    """A ``customer_changes`` row as engine.customers.record writes it; a contact's or contract's field names it."""
    return {"customer_id": customer_id, "actor_id": scope.actor.id, "field": field, "reason": reason,
            "old": None if old is None else str(old)[:256], "new": None if new is None else str(new)[:256],
            "contact_id": contact_id, "ticket_id": None, "contract_id": contract_id}
