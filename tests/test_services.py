"""Service tasks run KeyDesk's handlers inside the step: their messages commit or roll back with it."""

import pytest
from sqlalchemy import func, select

from engine import customers, deployments, runtime, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidDiagram, ProcessError
from engine.models import Ticket
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import service_step, simple
from tests.process_walk import customer, customer_changes

ALERT = {"role": "'supervisor'", "subject": "'Level-1 fault'", "body": "f'Fault on {service}'"}
GAO_FENG = "+8613911110001"  # the first contact of G0001 (customer 1): its primary contact


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


def test_a_customer_notice_goes_to_the_customers_primary_contact(app):
    deploy(service_step("notify_customer", {"subject": "'Service activated'", "body": "'Billing starts 1 Dec'"}))
    ticket = tickets.start_ticket(users.by_username("agent"), "notifies", "activation", customer_id=1)
    assert queued() == [("sms", GAO_FENG, f"[{ticket.number}] Service activated", "Billing starts 1 Dec")]


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


def test_customer_profile_reads_the_tickets_customer_into_the_task_data(app):
    deploy(service_step("customer_profile", {}))
    ticket = tickets.start_ticket(users.by_username("agent"), "notifies", "dunning", customer_id=3)
    profile = runtime.ready_human_tasks(runtime.load(ticket))[0].data["sent"]
    assert {k: profile[k] for k in ("code", "tier", "credit_level", "kind", "arpu")} == {
        "code": "G0003", "tier": "B", "credit_level": "grey", "kind": "group", "arpu": 31000.0}


def test_customer_profile_that_requires_a_customer_stops_a_ticket_without_one_from_opening(app):
    from engine.errors import ProcessError

    deploy(service_step("customer_profile", {"required": "True"}))
    with pytest.raises(ProcessError, match="has no customer"):
        tickets.start_ticket(users.by_username("agent"), "notifies", "dunning")
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_customer_profile_without_a_customer_gives_empty_fields_for_the_diagram_to_decide_on(app):
    deploy(service_step("customer_profile", {}))
    ticket = tickets.start_ticket(users.by_username("agent"), "notifies", "walk-in")
    assert set(runtime.ready_human_tasks(runtime.load(ticket))[0].data["sent"].values()) == {None}


@pytest.mark.parametrize("event, queued_event", [("'dunning_reminder'", "dunning_reminder"), (None, "customer_notice")])
def test_a_customer_notice_carries_the_event_the_diagram_names(app, event, queued_event):
    params = {"subject": "'Arrears'", "body": "'Please pay'", **({"event": event} if event else {})}
    deploy(service_step("notify_customer", params))
    tickets.start_ticket(users.by_username("agent"), "notifies", "dunning", customer_id=1)
    assert list(db.session.execute(select(OutboxMessage.event, OutboxMessage.address))) == [
        (queued_event, GAO_FENG)]


def test_an_unknown_event_stops_the_step_and_names_the_event(app):
    from engine.errors import ProcessError

    deploy(service_step("notify_role", {**ALERT, "body": "'x'", "event": "'fax_sent'"}))
    with pytest.raises(ProcessError, match="unknown notification event 'fax_sent'"):
        tickets.start_ticket(users.by_username("agent"), "notifies", "alert")
    assert queued() == []


def test_the_account_manager_of_the_customer_is_alerted_and_nobody_else(app):
    from engine.models import Customer

    customer = db.session.get(Customer, 1)
    own = users.create_user("zhao", "secret-password", ["manager"], "Zhao (account manager)",
                            "zhao@keydesk.example", "+8613800000099", customer.branch)  # sees the customer's tickets
    customer.account_manager = own
    db.session.commit()
    deploy(service_step("notify_account_manager", {"subject": "'Contract ends'", "body": "'Renew it'"}))
    tickets.start_ticket(users.by_username("agent"), "notifies", "expiry", customer_id=1)
    assert sorted(address for _channel, address, _subject, _body in queued()) == [
        "+8613800000099", "zhao@keydesk.example"]


def test_without_a_customer_the_account_manager_alert_reaches_the_role_as_notify_role_does(app):
    words = {"subject": "'Contract ends'", "body": "'Renew it'"}
    deploy(service_step("notify_account_manager", words))
    tickets.start_ticket(users.by_username("agent"), "notifies", "expiry")
    by_account_manager = sorted(address for _channel, address, _subject, _body in queued())
    deploy(service_step("notify_role", {**words, "role": "'manager'"}))
    tickets.start_ticket(users.by_username("agent"), "notifies", "expiry")
    by_role = sorted(address for _channel, address, _subject, _body in queued()[len(by_account_manager):])
    assert by_account_manager == by_role


def change_credit_of(code: str) -> str:
    """An update_customer step naming a customer by id, as a process reviewing many customers does."""
    return service_step("update_customer", {"changes": "{'credit_level': 'grey'}", "reason": "'Late payments'",
                                            "customer_id": str(customer(code).id)})


def test_a_service_task_cannot_change_a_customer_outside_the_tickets_branches(app):
    deploy(change_credit_of("P0001"))  # a Minhang customer
    with pytest.raises(ProcessError, match="no customer .* in the branches of ticket"):
        tickets.start_ticket(users.by_username("pudong"), "notifies", "reach across")  # a Pudong ticket
    assert customer("P0001").credit_level == "red" and customer_changes("P0001") == []


def test_a_service_task_changes_a_customer_of_the_tickets_branches_in_the_name_of_who_ran_the_step(app):
    deploy(change_credit_of("P0002"))  # a Pudong customer
    ticket = tickets.start_ticket(users.by_username("pudong"), "notifies", "within the branch")
    change, = customers.history(customer("P0002"))
    assert (change.field, change.new, change.actor.username, change.ticket_id) == (
        "credit_level", "grey", "pudong", ticket.id)
