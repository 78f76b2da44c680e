"""The people at a customer the desk talks to: several per customer, edited with a history, deactivated not deleted."""

from sqlalchemy import select

from engine import customers, fields
from engine.db import db
from engine.errors import NotFound
from engine.models import Contact, Customer, User

FIELDS = {"name": fields.text(required=True, limit=128), "role": fields.text(limit=128), "phone": fields.phone,
          "email": fields.email, "active": fields.flag,
          "no_sms": fields.flag}
REQUIRED = ("name",)


def of(customer: Customer) -> list[Contact]:
    """Active contacts first, each group in the order they were added."""
    return list(db.session.scalars(select(Contact).where(Contact.customer_id == customer.id)
                                   .order_by(Contact.active.desc(), Contact.id)))


def add(actor: User, customer_id: int, values: dict, reason: str) -> Contact:
    with customers.saved():
        customer = customers.get(customer_id, actor)
        checked = fields.checked(FIELDS, {**dict.fromkeys(REQUIRED, ""), **_dict(values)}, "contact")
        why = customers.require_reason(reason)
        contact = Contact(customer=customer, **checked)
        db.session.add(contact)
        customers.record(customer, "contact", None, contact.name, why, actor, target=contact)
    return contact


def update(actor: User, customer_id: int, contact_id: int, changes: dict, reason: str) -> Contact:
    """Change a contact; ``{"active": false}`` is how a contact who left is retired."""
    with customers.saved():
        customer = customers.get(customer_id, actor)
        contact = db.session.get(Contact, contact_id) if isinstance(contact_id, int) else None
        if contact is None or contact.customer_id != customer.id:
            raise NotFound(f"customer {customer.code} has no contact {contact_id}")
        customers.apply(customer, contact, fields.checked(FIELDS, changes, "contact"), reason, actor)
    return contact


def _dict(values: object) -> dict:
    return values if isinstance(values, dict) else {}
