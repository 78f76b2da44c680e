"""Who at a customer gets the desk's SMS notices: the primary contact, unless the customer or they said no SMS."""

from dataclasses import dataclass

from engine import contacts
from engine.models import Customer


@dataclass(frozen=True)
class Addressee:
    name: str
    phone: str


def primary(customer: Customer) -> Addressee | None:
    """The first active contact with a phone (as the customer's record lists them), else the customer's own phone
    (an individual customer has no contacts). None: nobody to text, or the customer asked for no SMS. A contact
    who asked for no SMS is passed over: the next one is the desk's counterpart for notices."""
    if customer.no_sms:
        return None
    for contact in contacts.of(customer):
        if contact.active and contact.phone and not contact.no_sms:
            return Addressee(contact.name, contact.phone)
    return Addressee(customer.name, customer.phone) if customer.phone else None


def why_not(customer: Customer | None) -> str:
    """Why a notice reaches nobody, for the ticket's history."""
    if customer is None:
        return "no_customer"
    return "no_sms" if customer.no_sms else "no_phone"
