"""Service-task handlers, by the operation name a diagram's serviceTask gives.

A handler takes an ``engine.services.ServiceCall`` and returns plain data, which lands in the task
data under the service task's result variable.
"""

from notifications.template_defaults import DEFAULTS

EVENTS = tuple(DEFAULTS)  # the notification events messages are sent under (each has a template per language)


def notify_role(call) -> dict:
    """Parameters: role, subject, body, optional event (default process_message). Alerts every member of the role
    by email and SMS."""
    sent = call.notify_role(call.params["role"], call.params["subject"], call.params["body"],
                            _event(call, "process_message"))
    return {"notified": sent}


def notify_account_manager(call) -> dict:
    """Parameters: subject, body, optional event (default process_message). Alerts the account manager of the
    ticket's customer (the manager role when the customer has none)."""
    sent = call.notify_account_manager(call.params["subject"], call.params["body"], _event(call, "process_message"))
    return {"notified": sent}


def notify_customer(call) -> dict:
    """Parameters: subject, body, optional event (default customer_notice; dunning_reminder, activation_notice...).
    Sends the ticket's customer an SMS."""
    return {"sent": call.notify_customer(call.params["subject"], call.params["body"], _event(call, "customer_notice"))}


def update_customer(call) -> dict:
    """Parameters: changes (a dict such as {"credit_level": "grey"}), reason. Recorded in the customer's history."""
    return {"changed": call.update_customer(call.params["changes"], call.params["reason"])}


def customer_profile(call) -> dict:
    """No parameters. The ticket's customer as gateways and decision tables read it (tier, credit_level, kind,
    member_card, status, arpu, points...); any process may use it. A process that runs on a customer stops with
    a clear error when the ticket has none."""
    customer = call.customer()
    if customer is None:
        number = call.ticket.number
        raise LookupError(f"ticket {number} has no customer: this process needs one "
                          f"(工单 {number} 未关联客户，此流程需要客户)")
    return {"code": customer.code, "name": customer.name, "kind": customer.kind, "tier": customer.tier,
            "credit_level": customer.credit_level, "member_card": customer.member_card, "status": customer.status,
            "arpu": float(customer.arpu or 0), "points": customer.points}


def _event(call, default: str) -> str:
    event = call.params.get("event", default)
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}: use one of {', '.join(EVENTS)} "
                         f"(未知的通知事件 {event!r})")
    return event


HANDLERS = {"notify_role": notify_role, "notify_account_manager": notify_account_manager,
            "notify_customer": notify_customer, "update_customer": update_customer,
            "customer_profile": customer_profile}
