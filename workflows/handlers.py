"""Service-task handlers, by the operation name a diagram's serviceTask gives.

A handler takes an ``engine.services.ServiceCall`` and returns plain data, which lands in the task
data under the service task's result variable.
"""


def notify_role(call) -> dict:
    """Parameters: role, subject, body, optional event (one of the outbox's events). Alerts every member of
    the role by email and SMS."""
    sent = call.notify_role(call.params["role"], call.params["subject"], call.params["body"],
                            call.params.get("event", "process_message"))
    return {"notified": sent}


def notify_account_manager(call) -> dict:
    """Parameters: subject, body, optional event. Alerts the account manager of the ticket's customer (the
    manager role when the customer has none)."""
    sent = call.notify_account_manager(call.params["subject"], call.params["body"],
                                       call.params.get("event", "process_message"))
    return {"notified": sent}


def notify_customer(call) -> dict:
    """Parameters: subject, body, optional event (activation_notice, contract_expiry...). Sends the ticket's
    customer an SMS."""
    sent = call.notify_customer(call.params["subject"], call.params["body"],
                                call.params.get("event", "customer_notice"))
    return {"sent": sent}


def update_customer(call) -> dict:
    """Parameters: changes (a dict such as {"credit_level": "grey"}), reason. Recorded in the customer's history."""
    return {"changed": call.update_customer(call.params["changes"], call.params["reason"])}


HANDLERS = {"notify_role": notify_role, "notify_account_manager": notify_account_manager,
            "notify_customer": notify_customer, "update_customer": update_customer}
