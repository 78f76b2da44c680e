"""Opening a customer from the page: the record with its first contact, or the form again naming the wrong field."""

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Contact, Customer

FORM = {"code": "G0200", "name": "Pudong Ferries", "kind": "group", "tier": "B", "industry": "transport",
        "phone": "", "branch": "SH-PD", "account_manager": "pudong", "credit_level": "red", "member_card": "",
        "status": "prospect", "contact_name": "Ma Jun", "contact_phone": "+8613900002222", "contact_email": "",
        "reason": "met at the trade fair"}


def counts() -> tuple[int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(t)) for t in (Customer, Contact))


def test_staff_open_a_customer_from_the_page(staff):
    pudong = staff("pudong")
    assert 'data-testid="new-customer-link"' in pudong.get("/customers").get_data(as_text=True)
    created = pudong.post("/customers/new", FORM)
    assert created.status_code == 302
    customer = db.session.scalar(select(Customer).where(Customer.code == "G0200"))
    assert (customer.status, customer.branch.code, customer.account_manager.username) == ("prospect", "SH-PD", "pudong")
    page = pudong.get(created.location).get_data(as_text=True)
    assert "Ma Jun" in page and 'data-testid="customer-status"' in page and "met at the trade fair" in page


@pytest.mark.parametrize("change, field", [
    ({"code": "G0001"}, "code"), ({"branch": "SH-MH"}, "branch"), ({"reason": ""}, "reason"),
    ({"contact_name": "", "contact_phone": "+8613900002222"}, "contact_name"),
])
def test_a_wrong_new_customer_shows_the_form_again_and_opens_nothing(staff, change, field):
    before = counts()
    response = staff("pudong").post("/customers/new", {**FORM, **change})
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in response.get_data(as_text=True)
    assert counts() == before


def test_the_page_needs_the_right(staff):
    assert staff("tech").get("/customers/new").status_code == 403
    before = counts()
    assert staff("tech").post("/customers/new", FORM).status_code == 403
    assert counts() == before
