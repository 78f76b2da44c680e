"""Who an announcement reaches: the customers of a query (branch, tier, industry) or of a list of codes, within the
ticket's branches, and for each its active contacts (and the customer's own number) by SMS and/or e-mail, each
address once. Written with SQLAlchemy Core in one statement per 1,000 rows: 10,000 customers are a few inserts."""

from sqlalchemy import insert, select

from engine.announcements.models import AnnouncementRecipient
from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput
from engine.fields import problem
from engine.models import Branch, Contact, Customer, Ticket

CHUNK = 1000


def customers_of(scope: set[int] | None, data: dict) -> list[int]:
    """The ids of the active customers the draft names, within ``scope``; unknown codes in a list are refused."""
    query = select(Customer.id).where(Customer.status == "active", branches.within(scope, Customer.branch_id))
    if data.get("recipients_by") == "list":
        codes = sorted({c.strip() for c in (data.get("customer_codes") or "").replace(",", " ").split() if c.strip()})
        found = dict(db.session.execute(select(Customer.code, Customer.id).where(
            Customer.code.in_(codes), Customer.status == "active", branches.within(scope, Customer.branch_id))).all())
        missing = [c for c in codes if c not in found]
        if missing:
            listed = missing[:20]
            raise InvalidInput(f"unknown customers: {', '.join(listed)} (没有这些客户：{'、'.join(listed)})",
                               [problem("customer_codes", f"no customer {c}", f"没有客户 {c}") for c in listed])
        return sorted(found.values())
    for field in ("tier", "industry"):
        if data.get(field):
            query = query.where(getattr(Customer, field) == data[field])
    if data.get("branch"):
        query = query.where(Customer.branch_id.in_(_branch_ids(scope, data["branch"])))
    return list(db.session.scalars(query.order_by(Customer.id)))


def _branch_ids(scope: set[int] | None, code: str) -> list[int]:
    """The named branch and those under it, when it lies within ``scope``."""
    branch = db.session.scalar(select(Branch).where(Branch.code == code))
    if branch is None or (scope is not None and branch.id not in scope):
        raise InvalidInput(f"no branch {code} among the announcement's branches (公告所属分支中没有分支 {code})",
                           [problem("branch", f"no branch {code}", f"没有分支 {code}")])
    tree = select(Branch.id).where(Branch.id == branch.id).cte("announced", recursive=True)
    tree = tree.union_all(select(Branch.id).where(Branch.parent_id == tree.c.id))
    return list(db.session.scalars(select(tree.c.id)))


def fix(ticket: Ticket, customer_ids: list[int], channels: list[str]) -> int:
    """Write the recipient rows of the ticket; returns how many addresses. A ticket being opened is written first
    (an engine step flushes at its end only), so that the rows can point at it."""
    if ticket.id is None:
        db.session.flush()
    total = 0
    for start in range(0, len(customer_ids), CHUNK):
        rows = _addresses(ticket.id, customer_ids[start:start + CHUNK], channels)
        if rows:
            db.session.execute(insert(AnnouncementRecipient), rows)
        total += len(rows)
    return total


def _addresses(ticket_id: int, ids: list[int], channels: list[str]) -> list[dict]:
    seen, rows = set(), []
    contacts = db.session.execute(select(Contact.customer_id, Contact.name, Contact.phone, Contact.email)
                                  .where(Contact.customer_id.in_(ids), Contact.active.is_(True)).order_by(Contact.id))
    own = db.session.execute(select(Customer.id, Customer.name, Customer.phone, None).where(Customer.id.in_(ids)))
    for customer_id, name, phone, email in [*contacts, *own]:
        for channel, address in (("sms", phone), ("email", email)):
            if channel in channels and address and (customer_id, channel, address) not in seen:
                seen.add((customer_id, channel, address))
                rows.append({"ticket_id": ticket_id, "customer_id": customer_id, "channel": channel,
                             "address": address, "name": name or ""})
    return rows
