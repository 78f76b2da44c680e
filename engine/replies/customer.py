"""Writing to a ticket's customer. Only the customer's phone and its active contacts' phones and e-mail addresses
can be written to (a reply never goes to an address someone typed); the text starts from a bilingual reply
template filled with the ticket's fields, and what the person finally wrote is what is sent and kept."""

from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import select

from engine import audit, clock, contacts, tickets
from engine.db import db
from engine.errors import InvalidInput
from engine.fields import problem
from engine.models import Customer, Ticket, TicketEvent, User
from notifications import notify, outbox
from notifications.outbox import OutboxMessage

TEMPLATES = ("reply_received", "reply_progress", "reply_solved")
MAX_BODY = 2000  # a reply is a message, not a document: attachments go on the ticket
EVENT = "customer_reply"


@dataclass(frozen=True)
class Address:
    channel: str  # sms | email
    address: str
    who: str

    @property
    def key(self) -> str:
        """How a form names it: channel:address."""
        return f"{self.channel}:{self.address}"


def addresses(ticket: Ticket) -> list[Address]:
    """Where a reply to the ticket's customer can go: the customer's phone, then each active contact's."""
    customer = db.session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    if customer is None:
        return []
    found = [Address("sms", customer.phone, customer.name)] if customer.phone else []
    for contact in contacts.of(customer):
        if contact.active:
            found += [Address(channel, value, contact.name)
                      for channel, value in (("sms", contact.phone), ("email", contact.email)) if value]
    return list(dict.fromkeys(found))


def draft(ticket: Ticket, template: str, language: str | None) -> tuple[str, str]:
    """The template's subject and body for this ticket, in ``language`` (zh_CN or en; None: the desk's)."""
    if template not in TEMPLATES:
        raise InvalidInput(f"no reply template {template!r}",
                           [problem("template", f"must be one of {', '.join(TEMPLATES)}",
                                    f"必须是 {'、'.join(TEMPLATES)} 之一")])
    return notify.for_customer(template, ticket, language)


def send(actor: User, ticket_id: int, to: str, subject: str, body: str) -> None:
    """Queue the reply in the outbox and add it to the ticket's history, in one step; a bad address or text is
    refused with nothing queued."""
    with tickets.step():
        ticket = tickets.get_ticket(ticket_id, actor)
        _queue(actor, ticket, to, (subject or "").strip()[:256], (body or "").strip())
        ticket.updated_at = clock.now()


def _queue(actor: User, ticket: Ticket, to: str, subject: str, body: str) -> None:
    chosen = next((a for a in addresses(ticket) if a.key == to), None)
    problems = []
    if chosen is None:
        problems.append(problem("to", "must be one of the customer's phones or e-mail addresses",
                                "必须是该客户的电话或电子邮件地址之一"))
    if not body or len(body) > MAX_BODY:
        problems.append(problem("body", f"required, at most {MAX_BODY} characters", f"必填，最多 {MAX_BODY} 个字符"))
    if problems:
        raise InvalidInput("the reply cannot be sent: " + ", ".join(p["field"] for p in problems), problems)
    key = f"reply:{ticket.id}:{uuid4().hex}"
    outbox.enqueue_to(EVENT, chosen.channel, chosen.address, subject or f"[{ticket.number}]", body, key, ticket)
    audit.record(ticket, actor, "reply", body=body, subject=subject, channel=chosen.channel,
                        address=chosen.address, who=chosen.who, message=f"{key}:{chosen.channel}")


def delivery(events: list[TicketEvent]) -> dict[str, str]:
    """Each reply's outbox state (pending, sent, failed) by the message key its history line keeps."""
    keys = [e.data["message"] for e in events if e.kind == "reply" and e.data.get("message")]
    if not keys:
        return {}
    rows = db.session.execute(select(OutboxMessage.dedupe_key, OutboxMessage.state)
                              .where(OutboxMessage.dedupe_key.in_(keys)))
    return dict(rows.all())
