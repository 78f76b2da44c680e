"""The customer pages: search, the record with its sections, edits with CSRF and a reason, the view log, no delete.

Branch scoping is the same as the API's: a customer outside one's branches is a 404 page.
"""

import pytest
from sqlalchemy import func, select

from engine import contacts, contracts, customers
from engine.db import db
from engine.directory import users
from engine.models import Customer, CustomerChange, CustomerView
from tests.web_data import red_ticket


def customer(code: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == code))


def page(response) -> str:
    return response.get_data(as_text=True)


def looks() -> list[tuple[str, str, str]]:
    rows = db.session.scalars(select(CustomerView).order_by(CustomerView.id))
    return [(v.user.username, v.via, v.part) for v in rows]


def test_the_list_searches_within_the_users_branches(staff):
    pudong = staff("pudong")
    listed = page(pudong.get("/customers"))
    assert 'data-customer="G0001"' in listed and 'data-customer="G0004"' not in listed
    found = page(staff("agent").get("/customers?q=HT-2023-09"))  # by contract number
    assert found.count("data-customer=") == 1 and 'data-customer="G0002"' in found
    assert looks() == []  # a list shows no record


def test_the_record_shows_every_section_and_the_look_is_logged(staff):
    red_ticket(customer_code="G0001")
    html = page(staff("pudong").get(f"/customers/{customer('G0001').id}"))
    for shown in ("Shanghai Port Logistics Group", "Gao Feng", "HT-2024-0107", 'data-expiry="expiring"',
                  "R-20", 'data-testid="history"', 'data-testid="profile-form"'):
        assert shown in html, shown
    assert 'data-testid="view-log"' not in html  # the view log is for supervisors and admins
    assert looks() == [("pudong", "web", "record")]


def test_supervisors_and_admins_see_the_view_log(staff):
    staff("agent").get(f"/customers/{customer('G0002').id}")
    html = page(staff("supervisor").get(f"/customers/{customer('G0002').id}"))
    assert 'data-testid="view-log"' in html and "Li Na (service agent)" in html
    assert looks() == [("agent", "web", "record"), ("supervisor", "web", "record")]


def test_a_customer_outside_the_users_branches_is_a_404_and_not_logged(staff):
    minhang = staff("minhang")
    port = customer("G0001").id
    assert minhang.get(f"/customers/{port}").status_code == 404
    assert minhang.post(f"/customers/{port}", data={"tier": "C", "reason": "x"}).status_code == 404
    assert minhang.post(f"/customers/{port}/contacts", data={"name": "Spy", "reason": "x"}).status_code == 404
    assert looks() == [] and customer("G0001").tier == "A+"


def test_editing_the_profile_records_only_what_changed_with_the_reason(staff):
    bank = customer("G0002")
    form = {"name": bank.name, "tier": "A", "credit_level": "grey", "member_card": "", "status": "active",
            "phone": bank.phone, "industry": bank.industry, "arpu": "92000.00", "points": "0",
            "account_manager_id": str(bank.account_manager_id), "branch_id": str(bank.branch_id),
            "reason": "two late payments"}
    response = staff("manager").post(f"/customers/{bank.id}", data=form)
    assert response.status_code == 302
    assert [(c.field, c.old, c.new, c.actor.username, c.reason) for c in customers.history(customer("G0002"))] == [
        ("credit_level", "red", "grey", "manager", "two late payments")]
    assert "two late payments" in page(staff("manager").get(f"/customers/{bank.id}"))


@pytest.mark.parametrize("form, field, message", [
    ({"credit_level": "grey"}, "reason", "say why"),
    ({"points": "many", "reason": "x"}, "points", "whole number"),
    ({"phone": "call me", "reason": "x"}, "phone", "phone number"),
])
def test_a_wrong_value_is_shown_next_to_its_field_and_nothing_changes(staff, form, field, message):
    response = staff("agent").post(f"/customers/{customer('G0002').id}", data=form)
    assert response.status_code == 422
    html = page(response)
    assert f'data-error-for="{field}"' in html and message in html
    assert customer("G0002").credit_level == "red"
    assert db.session.scalar(select(func.count()).select_from(CustomerChange)) == 0


def test_errors_are_in_the_users_language(staff):
    agent = staff("agent")
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    html = page(agent.post(f"/customers/{customer('G0002').id}", data={"credit_level": "grey"}))
    assert "必填：请说明修改原因" in html and "信用等级" in html and "红名单" in html


def test_a_contact_is_added_and_retired_through_the_page(staff):
    bank = customer("G0002").id
    manager = staff("manager")
    added = manager.post(f"/customers/{bank}/contacts", data={"name": "Xu Li", "role": "CIO", "phone": "",
                                                              "email": "", "reason": "new CIO"})
    assert added.status_code == 302
    xu = next(c for c in contacts.of(customer("G0002")) if c.name == "Xu Li")
    retired = manager.post(f"/customers/{bank}/contacts/{xu.id}", data={
        "name": "Xu Li", "role": "CIO", "phone": "", "email": "", "active": "0", "reason": "left the bank"})
    assert retired.status_code == 302
    db.session.refresh(xu)
    assert xu.active is False
    assert [c.field for c in customers.history(customer("G0002"))] == ["contact", "active"]


def test_no_sms_and_the_notice_language_are_set_on_the_record_page(staff):
    bank = customer("G0002")
    manager = staff("manager")
    html = page(manager.get(f"/customers/{bank.id}"))
    assert 'name="language"' in html and 'name="no_sms"' in html
    assert manager.post(f"/customers/{bank.id}", data={"language": "en", "no_sms": "1",
                                                       "reason": "the bank wants English, by e-mail only"}
                        ).status_code == 302
    he_jun = contacts.of(customer("G0002"))[0]
    form = {"name": he_jun.name, "role": he_jun.role, "phone": he_jun.phone, "email": he_jun.email or "",
            "active": "1", "no_sms": "1", "reason": "asked for no SMS"}
    assert manager.post(f"/customers/{bank.id}/contacts/{he_jun.id}", data=form).status_code == 302
    db.session.refresh(bank)
    db.session.refresh(he_jun)
    assert (bank.language, bank.no_sms, he_jun.no_sms) == ("en", True, True)
    assert [c.field for c in customers.history(bank)] == ["language", "no_sms", "no_sms"]
    assert 'data-testid="no-sms"' in page(manager.get(f"/customers/{bank.id}"))


def test_a_contract_is_added_and_ended_through_the_page(staff):
    bank = customer("G0002").id
    manager = staff("manager")
    manager.post(f"/customers/{bank}/contracts", data={"number": "HT-2026-0077", "title": "Cloud backup",
                                                        "amount": "9000", "start_date": "2026-01-01",
                                                        "end_date": "", "reason": "signed"})
    added = next(c for c in contracts.of(customer("G0002")) if c.number == "HT-2026-0077")
    assert (added.end_date, str(added.amount)) == (None, "9000.00")
    form = {"number": added.number, "title": added.title, "start_date": "2026-01-01", "end_date": "",
            "amount": "9000.00", "status": "ended", "reason": "replaced"}
    assert manager.post(f"/customers/{bank}/contracts/{added.id}", data=form).status_code == 302
    db.session.refresh(added)
    assert added.status == "ended"
    assert 'data-expiry="ended"' in page(manager.get(f"/customers/{bank}"))


def test_every_edit_form_needs_its_csrf_token(staff):
    agent = staff("agent")
    response = agent.client.post(f"/customers/{customer('G0002').id}",
                                 data={"credit_level": "black", "reason": "forged", "csrf_token": "forged"})
    assert response.status_code == 400
    assert customer("G0002").credit_level == "red"
    html = page(agent.get(f"/customers/{customer('G0002').id}"))
    assert html.count('name="csrf_token"') >= 5  # profile, add contact, edit contact, add and edit contracts


def test_there_is_no_delete(staff):
    agent = staff("agent")
    bank = customer("G0002").id
    contact = contacts.of(customer("G0002"))[0].id
    for path in (f"/customers/{bank}", f"/customers/{bank}/contacts/{contact}"):
        assert agent.client.delete(path).status_code == 405
    assert "delete" not in page(agent.get(f"/customers/{bank}")).lower()


def test_the_pages_need_a_signed_in_user(web_client):
    assert web_client.get("/customers").status_code == 302
    assert web_client.get(f"/customers/{customer('G0001').id}").status_code == 302
    assert looks() == []


def test_the_form_offers_the_current_account_manager_even_without_the_manager_role(staff):
    bank = customer("G0002")
    bank.account_manager = users.by_username("tech")
    db.session.commit()
    html = page(staff("agent").get(f"/customers/{bank.id}"))
    assert f'<option value="{bank.account_manager_id}" selected>Zhang Lei (maintenance)</option>' in html
    response = staff("agent").post(f"/customers/{bank.id}", data={
        "account_manager_id": str(bank.account_manager_id), "tier": "B", "reason": "downgraded"})
    assert response.status_code == 302
    assert [(c.field, c.new) for c in customers.history(customer("G0002"))] == [("tier", "B")]
