"""Service tasks run KeyDesk's handlers inside the step: their messages commit or roll back with it."""

import pytest
from sqlalchemy import func, select

from engine import deployments, runtime, tickets, users
from engine.db import db
from engine.errors import InvalidDiagram
from engine.models import Ticket
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import service_step, simple

ALERT = {"role": "'supervisor'", "subject": "'Level-1 fault'", "body": "f'Fault on {service}'"}


def deploy(step: str) -> None:
    deployments.deploy(users.by_username("supervisor"), simple(key="notifies", step=step))


def queued() -> list[tuple[str, str, str, str]]:
    query = select(OutboxMessage.channel, OutboxMessage.address, OutboxMessage.subject, OutboxMessage.body)
    return [tuple(row) for row in db.session.execute(query.order_by(OutboxMessage.id))]


def test_a_service_task_alerts_a_role_through_the_outbox(app, monkeypatch):
    deploy(service_step("notify_role", {**ALERT, "body": "'Port office offline'"}))
    ticket = tickets.start_ticket(users.by_username("agent"), "notifies", "alert")
    subject = f"[{ticket.number}] Level-1 fault"
    assert queued() == [("email", "supervisor@keydesk.example", subject, "Port office offline"),
                        ("sms", "+8613800000004", subject, "Port office offline")]
    assert db.session.scalar(select(OutboxMessage.ticket_id)) == ticket.id
    data = runtime.ready_human_tasks(runtime.load(ticket))[0].data
    assert data["sent"] == {"notified": 1}


def test_a_customer_notice_goes_to_the_customers_phone(app):
    from engine.models import Customer

    db.session.get(Customer, 1).phone = "+8613900000001"
    db.session.commit()
    deploy(service_step("notify_customer", {"subject": "'Service activated'", "body": "'Billing starts 1 Dec'"}))
    ticket = tickets.start_ticket(users.by_username("agent"), "notifies", "activation", customer_id=1)
    assert queued() == [("sms", "+8613900000001", f"[{ticket.number}] Service activated", "Billing starts 1 Dec")]


def test_a_step_that_fails_after_a_service_task_queues_nothing(app, monkeypatch):
    deploy(service_step("notify_role", {**ALERT, "body": "'x'"}))

    def crash(*_args):
        raise RuntimeError("power cut")

    monkeypatch.setattr(runtime, "save", crash)
    with pytest.raises(RuntimeError):
        tickets.start_ticket(users.by_username("agent"), "notifies", "alert")
    assert queued() == [] and db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize("operation, params, needle", [
    ("send_fax", {"to": "'x'"}, "unknown service operation 'send_fax'"),
    ("notify_role", {**ALERT, "body": "__import__('os').getcwd()"}, "parameter 'body'"),
])
def test_a_bad_service_task_is_refused_at_deploy(app, operation, params, needle):
    with pytest.raises(InvalidDiagram) as caught:
        deploy(service_step(operation, params))
    problem, = caught.value.details
    assert problem["element_id"] == "step" and needle in problem["message"] and problem["line"]


@pytest.mark.parametrize("with_customer, recipients", [
    (True, ["+8613800000099", "zhao@keydesk.example"]),  # the customer's own account manager only
    (False, ["+8613800000002", "manager@keydesk.example"]),  # no customer: the role, as notify_role reaches it
])
def test_the_account_manager_of_the_customer_is_alerted(app, with_customer, recipients):
    from engine.models import Customer

    own = users.create_user("zhao", "secret-password", ["manager"], "Zhao (account manager)",
                            "zhao@keydesk.example", "+8613800000099")
    db.session.get(Customer, 1).account_manager = own
    db.session.commit()
    deploy(service_step("notify_account_manager", {"subject": "'Contract ends'", "body": "'Renew it'"}))
    tickets.start_ticket(users.by_username("agent"), "notifies", "expiry", customer_id=1 if with_customer else None)
    assert sorted(address for _channel, address, _subject, _body in queued()) == recipients
