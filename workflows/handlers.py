"""Service-task handlers, by the operation name a diagram's serviceTask gives.

A handler takes an ``engine.services.ServiceCall`` and returns plain data, which lands in the task
data under the service task's result variable.
"""

from datetime import date

from engine import clock

PROFILE_FIELDS = ("code", "name", "tier", "member_card", "credit_level", "arpu", "points", "tenure_years")


def notify_role(call) -> dict:
    """Parameters: role, subject, body, optional event (one of the outbox's events). Alerts every member of
    the role by email and SMS."""
    sent = call.notify_role(call.params["role"], call.params["subject"], call.params["body"],
                            call.params.get("event", "process_message"))
    return {"notified": sent}


def notify_customer(call) -> dict:
    """Parameters: subject, body. Sends the ticket's customer an SMS (activation notice, reminder...)."""
    return {"sent": call.notify_customer(call.params["subject"], call.params["body"])}


def update_customer(call) -> dict:
    """Parameters: changes (a dict such as {"credit_level": "grey"}), reason, optional customer_id (a process
    that reviews many customers names the one to change; otherwise the ticket's customer). Recorded in the
    customer's history."""
    changed = call.update_customer(call.params["changes"], call.params["reason"], call.params.get("customer_id"))
    return {"changed": changed}


def record_on_ticket(call) -> dict:
    """Parameters: any key = value the process decided (e.g. fault_level from a decision table). Kept in the
    ticket's data, which reports and SLA policies read, as form values are."""
    return {"recorded": call.record_on_ticket(dict(call.params))}


def customer_profile(call) -> dict:
    """No parameters. The ticket's customer as decision tables and conditions read it (tier, card, ARPU...);
    every field is None when the ticket has no customer, so a diagram can still decide."""
    customer = call.customer()
    return profile(customer) if customer is not None else dict.fromkeys(PROFILE_FIELDS)


def profile(customer) -> dict:
    """A customer as plain data for a diagram: ARPU as a float, tenure in whole years up to today."""
    return {"code": customer.code, "name": customer.name, "tier": customer.tier, "member_card": customer.member_card,
            "credit_level": customer.credit_level, "arpu": float(customer.arpu or 0), "points": customer.points,
            "tenure_years": tenure_years(customer.customer_since, clock.now().date())}


def tenure_years(since: date | None, today: date) -> int:
    if since is None:
        return 0
    return today.year - since.year - ((today.month, today.day) < (since.month, since.day))


HANDLERS = {"notify_role": notify_role, "notify_customer": notify_customer, "update_customer": update_customer,
            "customer_profile": customer_profile, "record_on_ticket": record_on_ticket}
