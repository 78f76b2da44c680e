"""Contacts, contracts and the view log: edited with a history, retired instead of deleted, every read logged."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine import contacts, contracts, customer_views, customers
from engine.db import db
from engine.directory import users
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.models import Branch, Contact, Contract, Customer, CustomerView, ImmutableRecordError


def staff(name: str):
    return users.by_username(name)


def customer(code: str = "G0002") -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == code))


def changes(of: Customer) -> list[tuple]:
    return [(c.field, c.old, c.new, c.actor.username, c.reason) for c in customers.history(of)]


def test_a_contact_is_added_changed_and_retired_with_a_history(app):
    added = contacts.add(staff("agent"), customer().id, {"name": "Xu Li", "role": "CIO", "phone": "+86 139 0000 1111",
                                                         "email": "xu.li@huadong-bank.example"}, "new CIO")
    contacts.update(staff("manager"), customer().id, added.id, {"phone": "+8613900002222", "role": "CIO"}, "new phone")
    contacts.update(staff("manager"), customer().id, added.id, {"active": False}, "left the bank")
    assert [c.name for c in contacts.of(customer())] == ["He Jun", "Xu Li"]  # active first, the retired one kept
    assert changes(customer()) == [
        ("contact", None, "Xu Li", "agent", "new CIO"),
        ("phone", "+86 139 0000 1111", "+8613900002222", "manager", "new phone"),
        ("active", "True", "False", "manager", "left the bank"),
    ]
    assert {c.contact_id for c in customers.history(customer())} == {added.id}


@pytest.mark.parametrize("values, field", [
    ({"name": " "}, "name"), ({"name": "A", "email": "not-an-address"}, "email"),
    ({"name": "A", "phone": "call me"}, "phone"), ({"name": "A", "active": "yes"}, "active"),
    ({"name": "A", "salary": 1}, "salary"),
])
def test_a_wrong_contact_value_names_the_field_and_adds_nothing(app, values, field):
    with pytest.raises(InvalidInput) as caught:
        contacts.add(staff("agent"), customer().id, values, "new contact")
    assert [d["field"] for d in caught.value.details] == [field]
    assert db.session.scalar(select(func.count()).select_from(Contact).where(Contact.name == "A")) == 0


def test_a_contact_of_another_customer_is_not_found_through_this_one(app):
    other = contacts.of(customer("G0001"))[0]
    with pytest.raises(NotFound, match=f"customer G0002 has no contact {other.id}"):
        contacts.update(staff("agent"), customer().id, other.id, {"active": False}, "x")
    assert other.active


def test_contract_expiry_follows_the_desks_calendar(app, fake_clock):
    contract = Contract(number="T-1", title="t", start_date=date(2026, 1, 1), end_date=date(2026, 11, 23),
                        status="active")
    # 01:00 UTC on 23 November is 09:00 in Shanghai: the last day, still running
    assert contracts.expiry(contract) == contracts.Expiry("expiring", 0)
    fake_clock.advance(hours=15)  # 16:00 UTC is midnight in Shanghai: the 24th
    assert contracts.expiry(contract) == contracts.Expiry("expired", -1)
    contract.end_date = date(2027, 3, 1)
    assert contracts.expiry(contract).state == "current"
    contract.end_date = None
    assert contracts.expiry(contract) == contracts.Expiry("open-ended", None)
    contract.status = "ended"
    assert contracts.expiry(contract).state == "ended"


def test_the_demo_contracts_show_what_expires_soon(app):
    shown = {c.number: contracts.expiry(c).state for c in contracts.of(customer("G0001"))}
    assert shown == {"HT-2024-0107": "expiring", "HT-2025-0311": "current"}
    assert contracts.expiry(contracts.of(customer("G0003"))[0]).state == "expired"


def test_a_contract_is_added_and_ended_but_stays_on_the_record(app):
    start = date(2026, 1, 1)
    added = contracts.add(staff("manager"), customer().id, {"number": "HT-2026-0001", "title": "SD-WAN",
                                                            "start_date": start.isoformat(), "end_date": "2028-12-31",
                                                            "amount": "88000"}, "signed")
    assert (added.amount, added.status, added.end_date) == (88000, "active", date(2028, 12, 31))
    contracts.update(staff("manager"), customer().id, added.id, {"status": "ended"}, "terminated early")
    assert [c.number for c in contracts.of(customer())] == ["HT-2023-0902", "HT-2026-0001"]  # ended ones last
    assert changes(customer())[-2:] == [("contract", None, "HT-2026-0001", "manager", "signed"),
                                        ("status", "active", "ended", "manager", "terminated early")]


@pytest.mark.parametrize("values, field, message", [
    ({"end_date": "2025-12-31"}, "end_date", "must not be before the start date"),
    ({"number": "HT-2024-0107"}, "number", "contract number HT-2024-0107 is in use"),
    ({"start_date": "1st of May"}, "start_date", "must be a date as YYYY-MM-DD"),
    ({"amount": "-1"}, "amount", "must be an amount of zero or more"),
    ({"status": "deleted"}, "status", "must be one of draft, active, ended"),
])
def test_a_wrong_contract_names_the_field_and_changes_nothing(app, values, field, message):
    body = {"number": "HT-2026-0009", "title": "x", "start_date": "2026-01-01", **values}
    with pytest.raises(InvalidInput) as caught:
        contracts.add(staff("manager"), customer().id, body, "signed")
    (detail,) = caught.value.details
    assert (detail["field"], detail["message"]) == (field, message) and detail["message_zh"]
    existing = contracts.of(customer())[0]
    with pytest.raises(InvalidInput):
        contracts.update(staff("manager"), customer().id, existing.id, {"start_date": "2026-01-01", **values}, "x")
    assert (existing.number, existing.start_date) == ("HT-2023-0902", date(2023, 9, 1))
    assert customers.history(customer()) == []


def test_every_change_needs_a_reason(app):
    with pytest.raises(InvalidInput, match="reason"):
        contacts.add(staff("agent"), customer().id, {"name": "Xu Li"}, "")
    with pytest.raises(InvalidInput, match="reason"):
        contracts.update(staff("agent"), customer().id, contracts.of(customer())[0].id, {"title": "x"}, None)
    assert contacts.of(customer())[0].name == "He Jun" and len(contacts.of(customer())) == 1


def test_moving_a_customer_goes_only_to_a_branch_one_sees(app):
    branch_ids = {b.code: b.id for b in db.session.scalars(select(Branch))}
    with pytest.raises(InvalidInput, match="branch_id"):
        customers.update(staff("pudong"), customer("G0001").id, {"branch_id": branch_ids["SH-MH"]}, "move")
    customers.update(staff("supervisor"), customer("G0001").id, {"branch_id": branch_ids["SH-MH"]}, "moved office")
    assert customer("G0001").branch.code == "SH-MH"
    assert changes(customer("G0001")) == [("branch_id", str(branch_ids["SH-PD"]), str(branch_ids["SH-MH"]),
                                           "supervisor", "moved office")]


def test_a_look_at_a_record_is_logged_before_it_is_shown(app, fake_clock):
    customer_views.open_record(staff("agent"), customer().id, "web")
    fake_clock.advance(minutes=5)
    customer_views.open_record(staff("manager"), customer().id, "api", "contracts")
    looks = [(v.user.username, v.via, v.part, v.at) for v in customer_views.of(customer())]
    assert looks == [("manager", "api", "contracts", fake_clock.now()),
                     ("agent", "web", "record", fake_clock.now() - timedelta(minutes=5))]


def test_the_view_log_is_for_supervisors_and_admins_and_a_refused_look_is_not_logged(app):
    with pytest.raises(Forbidden):
        customer_views.open_record(staff("agent"), customer().id, "api", "views")
    with pytest.raises(NotFound):
        customer_views.open_record(staff("pudong"), customer().id, "api", "record")
    assert db.session.scalar(select(func.count()).select_from(CustomerView)) == 0
    customer_views.open_record(staff("admin"), customer().id, "api", "views")
    assert [v.part for v in customer_views.of(customer())] == ["views"]


@pytest.mark.parametrize("model", [Contact, Contract, CustomerView])
def test_contacts_contracts_and_the_view_log_are_never_deleted(app, model):
    customer_views.open_record(staff("agent"), customer().id, "web")
    row = db.session.scalars(select(model)).first()
    db.session.delete(row)
    with pytest.raises(ImmutableRecordError, match="never deleted"):
        db.session.commit()
    db.session.rollback()


def test_a_look_cannot_be_rewritten(app):
    customer_views.open_record(staff("agent"), customer().id, "web")
    look = db.session.scalars(select(CustomerView)).one()
    look.user = staff("admin")
    with pytest.raises(ImmutableRecordError, match="never changed"):
        db.session.commit()
    db.session.rollback()
    assert [v.user.username for v in customer_views.of(customer())] == ["agent"]
