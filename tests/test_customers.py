"""A customer's record changes only through engine.customers, and every change stays in its history."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from engine import customers, deployments, tickets
from engine.db import db
from engine.directory import users
from engine.errors import InvalidInput, ProcessError
from engine.models import Customer, CustomerChange, ImmutableRecordError
from tests.bpmn_samples import service_step, simple


def customer() -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == "G0002"))


def test_a_change_is_applied_and_recorded_field_by_field(app):
    supervisor = users.by_username("supervisor")
    rows = customers.change(customer(), {"credit_level": "grey", "arpu": "1234.5", "tier": "A"},
                            "three missed payments", actor=supervisor)
    db.session.commit()
    assert customer().credit_level == "grey" and customer().arpu == Decimal("1234.50")
    assert [(r.field, r.old, r.new) for r in rows] == [("credit_level", "red", "grey"), ("arpu", "92000.00", "1234.50")]
    history = customers.history(customer())
    assert [(h.field, h.actor.username, h.reason) for h in history] == [
        ("credit_level", "supervisor", "three missed payments"), ("arpu", "supervisor", "three missed payments")]


@pytest.mark.parametrize("changes, field", [
    ({"credit_level": "purple"}, "credit_level"),
    ({"member_card": "gold"}, "member_card"),
    ({"points": -5}, "points"),
    ({"arpu": "lots"}, "arpu"),
    ({"name": "  "}, "name"),
    ({"code": "X1"}, "code"),
    ({"account_manager_id": 999}, "account_manager_id"),
])
def test_a_wrong_value_changes_nothing_and_names_the_field(app, changes, field):
    with pytest.raises(InvalidInput) as caught:
        customers.change(customer(), {"status": "prospect", **changes}, "test")
    assert [d["field"] for d in caught.value.details] == [field]
    db.session.rollback()
    assert customer().status == "active"
    assert db.session.scalar(select(func.count()).select_from(CustomerChange)) == 0


def test_a_change_needs_a_reason(app):
    with pytest.raises(InvalidInput, match="reason"):
        customers.change(customer(), {"status": "prospect"}, " ")


def test_history_can_be_neither_changed_nor_deleted(app):
    row, = customers.change(customer(), {"status": "prospect"}, "feasibility: not feasible")
    db.session.commit()
    row.reason = "rewritten"
    with pytest.raises(ImmutableRecordError):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(CustomerChange, row.id))
    with pytest.raises(ImmutableRecordError):
        db.session.commit()


def test_a_service_task_changes_the_tickets_customer_with_the_ticket_in_the_history(app):
    step = service_step("update_customer", {"changes": "{'credit_level': 'black'}", "reason": "'dunning failed'"})
    deployments.deploy(users.by_username("supervisor"), simple(key="credit", step=step))
    ticket = tickets.start_ticket(users.by_username("agent"), "credit", "arrears", customer_id=customer().id)
    change, = customers.history(customer())
    assert (change.field, change.new, change.ticket_id) == ("credit_level", "black", ticket.id)
    assert change.actor.username == "agent"  # whose step ran the service task
    assert change.reason == f"dunning failed ({ticket.number})"


def test_a_service_task_with_a_wrong_value_stops_the_step(app):
    step = service_step("update_customer", {"changes": "{'credit_level': 'purple'}", "reason": "'x'"})
    deployments.deploy(users.by_username("supervisor"), simple(key="credit", step=step))
    with pytest.raises(ProcessError):
        tickets.start_ticket(users.by_username("agent"), "credit", "arrears", customer_id=customer().id)
    db.session.rollback()
    assert customer().credit_level == "red"


@pytest.mark.parametrize("typed", ["139 1111 0003", "139-1111-0003", "+86 13911110003", "1111-0003"])
def test_a_phone_is_found_in_any_spacing(app, typed):
    from engine.models import Contact

    supervisor = users.by_username("supervisor")
    assert [c.code for c in customers.search(supervisor, typed)] == ["G0002"]  # He Jun, stored +8613911110003
    contact = db.session.scalar(select(Contact).where(Contact.phone == "+8613911110003"))
    contact.phone = "+86 139-1111-0003"  # as someone typed it into the record
    db.session.commit()
    assert [c.code for c in customers.search(supervisor, typed)] == ["G0002"]


def test_a_few_digits_or_letters_are_not_taken_for_a_phone(app):
    assert customers.phone_digits("12") is None and customers.phone_digits("G00-02") is None
    assert customers.phone_digits(" (021) 5555-0101 ") == "02155550101"
