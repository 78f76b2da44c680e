"""Service tasks: a diagram names an operation, KeyDesk runs the handler of that name from ``workflows``.

Handlers are trusted project code, not diagram code. They run inside the engine step, so whatever
they queue in the outbox commits or rolls back with the step. They get a ServiceCall: the ticket,
the evaluated parameters, a copy of the task data, and the few things a handler may do.
"""

import json
from dataclasses import dataclass

import workflows
from engine import account_managers, audit, contracts, customers
from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput
from engine.models import PRIORITIES, Contract, Customer, Ticket, User
from engine.notices import send as sending
from notifications import notify, rota


@dataclass(frozen=True)
class ServiceCall:
    ticket: Ticket
    element_id: str
    params: dict
    data: dict
    key: str  # unique for this execution of the task: makes the messages it queues idempotent
    actor: User | None  # whose step runs the task; None: a timer of the process fired it

    def scope(self) -> set[int] | None:
        """The branch ids the ticket's service tasks may act in: its branch and the ones under it (None: all)."""
        return branches.scope(self.ticket.branch_id)

    def in_scope(self, customer: Customer) -> bool:
        ids = self.scope()
        return ids is None or customer.branch_id in ids

    def notify_role(self, role: str, subject: str, body: str, event: str = "process_message") -> int:
        """Queue the event's message to whoever answers for a role now (its rota, else its members) and may see
        the ticket; returns how many people. `subject` and `body` are the diagram's words, which the event's
        template may use."""
        people = rota.on_duty(role, branch_id=self.ticket.branch_id)
        notify.people(event, people, self.key, self.ticket, subject=subject, body=body, data=self.data)
        return len(people)

    def notify_account_manager(self, subject: str, body: str, event: str = "process_message") -> int:
        """Queue a message to the account manager of the ticket's customer, that one person; without one who can
        act, to the manager role on duty (and the supervisors hear of it). Returns how many people."""
        people = account_managers.or_fallback(self.ticket)
        notify.people(event, people, self.key, self.ticket, subject=subject, body=body, data=self.data)
        return len(people)

    def notify_customer(self, subject: str, body: str, event: str = "customer_notice",
                        occurrence: str | None = None) -> bool:
        """Queue an SMS to the primary contact of the ticket's customer (engine.notices); False when nobody can be
        told (no customer, no phone, no SMS wanted: the ticket's history says which). One per ticket, event and
        occurrence: by default a lifecycle notice (opened, dispatched, restored, closed) goes once per ticket, any
        other once per execution of the task (each progress update is one)."""
        if occurrence is None:
            occurrence = sending.ONCE if event in sending.ONCE_EVENTS else self.key
        return sending.tell(self.ticket, event, str(occurrence), self.data, subject=subject, body=body)

    def customer(self) -> Customer | None:
        """The ticket's customer, or None."""
        return customers.of_ticket(self.ticket)

    def update_customer(self, changes: dict, reason: str, customer_id: int | None = None) -> list[str]:
        """Change a customer (credit level, member card, status...): the one named, else the ticket's; returns
        the changed fields."""
        customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else self.customer()
        if customer_id is not None and (customer is None or not self.in_scope(customer)):
            raise LookupError(f"no customer {customer_id!r} in the branches of ticket {self.ticket.number} "
                              f"(工单 {self.ticket.number} 所属分支中没有客户 {customer_id!r})")
        if customer is None:
            raise LookupError(f"ticket {self.ticket.number} has no customer to change "
                              f"(工单 {self.ticket.number} 未关联客户)")
        by = "" if self.actor is not None else ", by a timer of the process"
        rows = customers.change(customer, changes, f"{reason} ({self.ticket.number}{by})", self.actor,
                                ticket=self.ticket)
        return [row.field for row in rows]

    def file_contract(self, values: dict) -> Contract:
        """Put the contract the process signed on the ticket customer's record, linked to the ticket: from there
        the daily sweep reminds before it ends (engine/contracts/reminders.py). A wrong value or a number already
        in use stops the step, in both languages."""
        customer, number = self._customer_for("file the contract on", "归档合同"), self.ticket.number
        try:
            return contracts.enter(customer, values, f"Signed through ticket {number} (经工单 {number} 签署)",
                                   self.actor, self.ticket)
        except InvalidInput as err:
            problems = err.details or []
            raise ValueError("; ".join(f"{p['field']}: {p['message']}" for p in problems)
                             + " (" + "；".join(f"{p['field']}：{p['message_zh']}" for p in problems) + ")") from None

    def record_on_customer(self, entry: str, value: str, reason: str) -> str:
        """A line in the ticket customer's history that is no field of the record (the arrears a process confirmed,
        how its dunning ended: 将欠费信息记录到客户资料中, 004 §四.2.1), naming the ticket and whoever ran the step."""
        customer, number = self._customer_for(f"record {entry} on", f"记录 {entry}"), self.ticket.number
        customers.record(customer, entry, None, value, f"{reason} ({number})", self.actor, ticket=self.ticket)
        return entry

    def _customer_for(self, purpose: str, purpose_zh: str) -> Customer:
        """The ticket's customer, which the operation needs: without one the step stops, in both languages."""
        customer = self.customer()
        if customer is None:
            number = self.ticket.number
            raise LookupError(f"ticket {number} has no customer to {purpose} "
                              f"(工单 {number} 未关联客户，无法{purpose_zh})")
        return customer

    def set_priority(self, priority: str, reason: str) -> str:
        """The process decided how urgent the ticket is (a level-1 fault is urgent): the ticket and the tasks it
        opens from now on carry that priority; the change is in the ticket's history."""
        if priority not in PRIORITIES:
            raise ValueError(f"unknown priority {priority!r}: use one of {', '.join(PRIORITIES)} "
                             f"(未知的优先级 {priority!r})")
        if priority != self.ticket.priority:
            audit.record(self.ticket, None, "priority_changed", previous=self.ticket.priority, priority=priority,
                         reason=reason)
            self.ticket.priority = priority
        return priority

    def record_on_ticket(self, values: dict) -> list[str]:
        """Keep values the process computed (a decided fault level...) in the ticket's data, where reports and
        SLA policies read them; returns the keys."""
        self.ticket.data = {**(self.ticket.data or {}), **values}
        return sorted(values)


def dispatch(task, operation_name: str, operation_params: dict) -> str:
    """SpiffWorkflow's call_service: run the named handler and return its result as JSON text."""
    handler = workflows.HANDLERS.get(operation_name)
    if handler is None:
        raise LookupError(f"no service handler {operation_name!r}")
    workflow = task.workflow.top_workflow
    call = ServiceCall(ticket=workflow.ticket, element_id=task.task_spec.bpmn_id,
                       params={name: param["value"] for name, param in operation_params.items()},
                       data=dict(task.data), key=f"service:{task.id}", actor=workflow.actor)
    return json.dumps(handler(call))
