"""Member qualification review (``bpmn/member_review.bpmn``): the service operation that lists the card holders the
decision table screens (the forms are ``bpmn/member_review.*.form.json``).

One screening is one ticket: the scheduler starts it monthly (and for the yearly card inspection), the decision
table runs once per card holder (a multi-instance business rule task), and the reviewer gets one task per proposal
(a multi-instance user task) titled with the customer, so a month's proposals are confirmed side by side, counted
and reported together, and the changes of one screening are applied in one place.
"""

from sqlalchemy import select

from engine.db import db
from engine.directory import branches
from engine.models import Customer
from workflows.handlers import profile


def candidates(call) -> list[dict]:
    """No parameters. Every active individual customer of the ticket's branches (the club's cards are for people:
    004 §二.3; a screening started by a city branch's user covers that city), members or not, so that a
    non-member who qualifies is proposed a card; with the profile the rules read."""
    found = db.session.scalars(select(Customer).where(Customer.status == "active", Customer.kind == "individual",
                                                      branches.within(call.scope(), Customer.branch_id))
                               .order_by(Customer.code))
    return [{"customer_id": customer.id, **profile(customer)} for customer in found]


HANDLERS = {"member_review.candidates": candidates}
