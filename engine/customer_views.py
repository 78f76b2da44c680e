"""Who looked at a customer's record, and when: every read of a record is logged, as the operator's rules demand.

The log is append-only and readable by supervisors and admins only.
"""

from sqlalchemy import select

from engine import clock, customers
from engine.db import db
from engine.directory import permissions
from engine.models import Customer, CustomerView, User

VIA = ("web", "api")
PARTS = ("record", "contacts", "contracts", "history", "views", "signals", "revisits")


def open_record(viewer: User, customer_id: int, via: str, part: str = "record") -> Customer:
    """The customer, if the viewer may see it, with the look written to the log before anything is shown."""
    assert via in VIA and part in PARTS, (via, part)
    with customers.saved():
        customer = customers.get(customer_id, viewer)
        if part == "views":
            permissions.require(viewer, "audit_customers")
        db.session.add(CustomerView(customer=customer, user=viewer, via=via, part=part, at=clock.now()))
    return customer


def of(customer: Customer, limit: int = 200, offset: int = 0) -> list[CustomerView]:
    """The newest looks first."""
    return list(db.session.scalars(select(CustomerView).where(CustomerView.customer_id == customer.id)
                                   .order_by(CustomerView.at.desc(), CustomerView.id.desc())
                                   .limit(limit).offset(offset)))
