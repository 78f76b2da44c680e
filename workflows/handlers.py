"""Service-task handlers, by the operation name a diagram's serviceTask gives.

A handler takes an ``engine.services.ServiceCall`` and returns plain data, which lands in the task
data under the service task's result variable.
"""

from datetime import date

from engine import clock
from notifications.templates import EVENTS

CUSTOMER_ENTRIES = ("arrears", "dunning")  # history lines a process may write that are no field of the record
PROFILE_FIELDS = ("code", "name", "kind", "tier", "member_card", "credit_level", "status", "arpu", "points",
                  "tenure_years")


def notify_role(call) -> dict:
    """Parameters: role, subject, body, optional event (default process_message). Alerts whoever answers for
    the role now, by the channels each chose. An event with a template of its own (fault_alert...) words the
    message in each recipient's language from the ticket's data and needs no subject or body."""
    sent = call.notify_role(call.params["role"], *_words(call), _event(call, "process_message"))
    return {"notified": sent}


def notify_account_manager(call) -> dict:
    """Parameters: subject, body, optional event (default process_message). Alerts the account manager of the
    ticket's customer (the manager role when the customer has none)."""
    sent = call.notify_account_manager(*_words(call), _event(call, "process_message"))
    return {"notified": sent}


def notify_customer(call) -> dict:
    """Parameters: subject, body, optional event (default customer_notice; notice_opened, notice_dispatched,
    notice_restored, notice_progress, notice_closed, dunning_reminder, activation_notice...), optional occurrence.
    Sends the primary contact of the ticket's customer an SMS in the customer's language, once per ticket, event
    and occurrence (default: once per ticket for opened/dispatched/restored/closed, else once per execution)."""
    occurrence = call.params.get("occurrence")
    return {"sent": call.notify_customer(*_words(call), _event(call, "customer_notice"), occurrence)}


def update_customer(call) -> dict:
    """Parameters: changes (a dict such as {"credit_level": "grey"}), reason, optional customer_id (a process
    that reviews many customers names the one to change; otherwise the ticket's customer). Recorded in the
    customer's history."""
    changed = call.update_customer(call.params["changes"], call.params["reason"], call.params.get("customer_id"))
    return {"changed": changed}


def file_contract(call) -> dict:
    """Parameters: number, start_date, end_date (YYYY-MM-DD; none: open-ended), amount, optional title (default:
    the ticket's title). Files the signed contract in the customer's contracts, linked to the ticket; the daily
    sweep sends its expiry reminders from there."""
    params = call.params
    values = {name: params.get(name) for name in ("number", "start_date", "end_date", "amount")}
    contract = call.file_contract({**values, "title": params.get("title") or call.ticket.title})
    return {"filed": contract.number}


def record_on_customer(call) -> dict:
    """Parameters: entry (one of CUSTOMER_ENTRIES: arrears, dunning), value, reason. Writes a line in the ticket
    customer's history that no field holds, such as the confirmed arrears or how the dunning ended."""
    entry = call.params["entry"]
    if entry not in CUSTOMER_ENTRIES:
        raise ValueError(f"unknown customer record entry {entry!r}: use one of {', '.join(CUSTOMER_ENTRIES)} "
                         f"(未知的客户资料记录项 {entry!r})")
    return {"recorded": call.record_on_customer(entry, str(call.params["value"]), call.params["reason"])}


def set_priority(call) -> dict:
    """Parameters: priority (low, normal, high, urgent), reason. The ticket's priority as the process decided it;
    its next tasks inherit it."""
    return {"priority": call.set_priority(call.params["priority"], call.params.get("reason", ""))}


def record_on_ticket(call) -> dict:
    """Parameters: any key = value the process decided (e.g. fault_level from a decision table). Kept in the
    ticket's data, which reports and SLA policies read, as form values are."""
    return {"recorded": call.record_on_ticket(dict(call.params))}


def customer_profile(call) -> dict:
    """Parameters: optional required (default False). The ticket's customer as decision tables and conditions
    read it (tier, card, ARPU, tenure...). Without a customer every field is None, so a diagram can still
    decide; with required=True the step stops with a clear error instead."""
    customer = call.customer()
    if customer is not None:
        return profile(customer)
    if call.params.get("required"):
        number = call.ticket.number
        raise LookupError(f"ticket {number} has no customer: this process needs one "
                          f"(工单 {number} 未关联客户，此流程需要客户)")
    return dict.fromkeys(PROFILE_FIELDS)


def profile(customer) -> dict:
    """A customer as plain data for a diagram: ARPU as a float, tenure in whole years up to today."""
    return {"code": customer.code, "name": customer.name, "kind": customer.kind, "tier": customer.tier,
            "member_card": customer.member_card, "credit_level": customer.credit_level, "status": customer.status,
            "arpu": float(customer.arpu or 0), "points": customer.points,
            "tenure_years": tenure_years(customer.customer_since, clock.now().date())}


def tenure_years(since: date | None, today: date) -> int:
    if since is None:
        return 0
    return today.year - since.year - ((today.month, today.day) < (since.month, since.day))


def _words(call) -> tuple[str, str]:
    """The diagram's subject and body, which the process_message and customer_notice templates show."""
    return call.params.get("subject", ""), call.params.get("body", "")


def _event(call, default: str) -> str:
    event = call.params.get("event", default)
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}: use one of {', '.join(EVENTS)} "
                         f"(未知的通知事件 {event!r})")
    return event


# The parameters the modeller offers for each operation, required ones first (record_on_ticket takes any).
PARAMETERS = {"notify_role": ["role", "subject", "body", "event"],
              "notify_account_manager": ["subject", "body", "event"],
              "notify_customer": ["subject", "body", "event", "occurrence"],
              "update_customer": ["changes", "reason", "customer_id"],
              "customer_profile": ["required"], "set_priority": ["priority", "reason"],
              "file_contract": ["number", "start_date", "end_date", "amount", "title"],
              "record_on_customer": ["entry", "value", "reason"]}

# The keys of what each operation returns, which lands under the service task's result variable: the deploy check
# refuses a diagram reading result["key"] that is not among them (an operation not named here is not checked).
OUTPUTS = {"notify_role": ["notified"], "notify_account_manager": ["notified"], "notify_customer": ["sent"],
           "update_customer": ["changed"], "record_on_ticket": ["recorded"], "customer_profile": list(PROFILE_FIELDS),
           "file_contract": ["filed"], "record_on_customer": ["recorded"]}

HANDLERS = {"notify_role": notify_role, "notify_account_manager": notify_account_manager,
            "notify_customer": notify_customer, "update_customer": update_customer,
            "record_on_ticket": record_on_ticket, "customer_profile": customer_profile,
            "set_priority": set_priority, "file_contract": file_contract, "record_on_customer": record_on_customer}
