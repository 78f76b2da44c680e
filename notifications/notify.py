"""What the engine calls to alert people and notify customers, inside its step's transaction.

For each recipient: the event's template in their language, on the channels they chose, held until their
quiet hours end unless the message is urgent (a red-channel breach), and queued once per person, channel
and dedupe key, however often the step that causes it is retried or how many workers run it.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from engine import clock
from engine.db import db
from engine.models import Customer, Ticket, User
from notifications import labels, outbox, preferences, rota, templates


def people(event: str, recipients: list[User], dedupe: str, ticket: Ticket | None = None, **context) -> list:
    """Queue the event's message to each person (each once, even if listed twice); returns the rows queued.

    A fixed number of statements whatever the audience: their preferences in one read (none when rota.on_duty
    read them along), the templates once per step, and every message in one INSERT."""
    now, urgent = clock.now(), is_urgent(event, ticket)
    base = {**context, **_about(ticket, context.get("data"))}
    everyone = list({person.id: person for person in recipients}.values())
    preferences.read_for(everyone)
    rows = []
    for person in everyone:
        language = language_of(person)
        subject, body = templates.render(event, language,
                                         {**base, "labels": labels.of(ticket, base["data"], language),
                                          "recipient": {"name": person.display_name, "username": person.username}})
        hold = None if urgent else preferences.hold_until(person, now)
        rows += [outbox.row(event, channel, preferences.address(person, channel), subject, body,
                            f"{dedupe}:{person.id}", person.id, not_before=hold)
                 for channel in preferences.channels_for(person, event)]
    return outbox.enqueue_all(rows, ticket)


def role(event: str, role_name: str, dedupe: str, ticket: Ticket | None = None, **context) -> list:
    """Queue the message to whoever answers for the role now: the duty rota's people, or all members."""
    return people(event, rota.on_duty(role_name), dedupe, ticket, **context)


def customer(event: str, phone: str, dedupe: str, ticket: Ticket, language: str | None = None, **context) -> list:
    """Queue an SMS to a customer's phone, in the customer's language (default: the desk's)."""
    subject, body = for_customer(event, ticket, language, **context)
    return outbox.enqueue_to(event, "sms", phone, subject, body, dedupe, ticket)


def for_customer(event: str, ticket: Ticket, language: str | None, **context) -> tuple[str, str]:
    """The event's subject and body to the ticket's customer, in ``language`` (None: the desk's)."""
    base = {**context, **_about(ticket, context.get("data"))}
    language = templates.language(language)
    return templates.render(event, language, {**base, "labels": labels.of(ticket, base["data"], language),
                                              "recipient": {"name": base["customer"].get("name", "")}})


def hotline() -> dict:
    """The desk's key-account hotline (KEYDESK_HOTLINE), whom a customer calls when no account manager can act."""
    return {"name": "", "phone": current_app.config["HOTLINE"]}


def is_urgent(event: str, ticket: Ticket | None) -> bool:
    """A red-channel breach wakes people up: quiet hours never hold it."""
    return event == "sla_breached" and ticket is not None and ticket.channel == "red"


def language_of(person: User) -> str:
    """The person's language where the user table has one (the staff pages add `locale`), else the desk's."""
    return templates.language(getattr(person, "locale", None))


def local_time(moment: datetime | None) -> str:
    """A time as the desk reads it: in its own time zone, to the minute."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).strftime("%Y-%m-%d %H:%M")


def _about(ticket: Ticket | None, data: dict | None) -> dict:
    """The ticket and its customer as plain values: templates never see rows (nor what rows link to)."""
    if ticket is None:
        return {"ticket": None, "customer": {}, "data": dict(data or {})}
    found = db.session.get(Customer, ticket.customer_id) if ticket.customer_id else None
    who = {"name": found.name, "code": found.code, "tier": found.tier} if found else {}
    return {"ticket": {"number": ticket.number, "title": ticket.title, "priority": ticket.priority,
                       "channel": ticket.channel, "status": ticket.status, "customer": who.get("name", ""),
                       "data": dict(ticket.data or {})},
            "customer": who, "data": {**(ticket.data or {}), **(data or {})}}
