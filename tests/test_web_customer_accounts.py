"""Opening a customer and moving a manager's customers from the pages (SQLite and PostgreSQL); each refusal names the
field, changes nothing."""

import pytest
from sqlalchemy import func, select

from engine.db import db
from engine.models import Contact, Customer

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
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


def test_a_supervisor_moves_a_managers_customers_from_the_page(staff):
    supervisor = staff("supervisor")
    assert 'data-testid="portfolio-link"' in supervisor.get("/customers").get_data(as_text=True)
    listed = supervisor.get("/customers/portfolio?from=manager").get_data(as_text=True)
    assert 'value="G0001"' in listed and 'value="G0004"' in listed
    moved = supervisor.post("/customers/portfolio", {"from": "manager", "to": "pudong", "customers": ["G0001", "G0003"],
                                                     "reason": "Wang Wei left"})
    assert moved.status_code == 302
    assert db.session.scalar(select(Customer).where(Customer.code == "G0001")).account_manager.username == "pudong"


def test_a_refused_move_names_the_field_and_moves_nothing(staff):
    supervisor = staff("supervisor")
    response = supervisor.post("/customers/portfolio", {"from": "manager", "to": "pudong", "customers": ["G0004"],
                                                        "reason": "Wang Wei left"})
    assert response.status_code == 422 and 'data-error-for="customers"' in response.get_data(as_text=True)
    assert db.session.scalar(select(Customer).where(Customer.code == "G0004")).account_manager.username == "manager"
    assert staff("agent").get("/customers/portfolio").status_code == 403
