"""A one-time password must be changed at the first sign-in: no page opens until then, and the policy holds."""

import pytest

from engine.db import db
from engine.directory import user_admin, users
from tests.conftest import csrf_token_of


@pytest.fixture
def newcomer(app):
    """A user an admin just created, and the one-time password the admin was shown."""
    user, password = user_admin.create(users.by_username("admin"), {
        "username": "wang.li", "display_name": "Wang Li", "branch": "SH-PD", "roles": ["agent"]})
    return user, password


def sign_in(client, username, password):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token_of(client.get("/login"))})


def change(client, current, new, repeat=None):
    token = csrf_token_of(client.get("/password"))
    return client.post("/password", data={"current": current, "password": new, "repeat": repeat or new,
                                          "csrf_token": token})


def test_the_first_sign_in_leads_to_the_password_change_and_nowhere_else(web_client, newcomer):
    _, password = newcomer
    assert sign_in(web_client, "wang.li", password).location == "/password"
    assert web_client.get("/inbox").location == "/password"
    assert web_client.get("/customers", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/password"
    assert 'data-testid="must-change"' in web_client.get("/password").get_data(as_text=True)
    assert change(web_client, password, "Harbour2026x").location == "/inbox"
    assert web_client.get("/inbox").status_code == 200
    assert users.authenticate("wang.li", "Harbour2026x") is not None
    assert users.authenticate("wang.li", password) is None


@pytest.mark.parametrize("current, new, repeat, field", [
    ("wrong", "Harbour2026x", None, "current"),
    (None, "short1", None, "password"),
    (None, "onlyletterspassword", None, "password"),
    (None, "wang.li2026abc", None, "password"),
    (None, "Harbour2026x", "Harbour2026y", "repeat"),
])
def test_a_new_password_the_policy_refuses_changes_nothing(web_client, newcomer, current, new, repeat, field):
    user, password = newcomer
    sign_in(web_client, "wang.li", password)
    response = change(web_client, current or password, new, repeat)
    assert response.status_code == 422
    assert f'data-error-for="{field}"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.must_change_password and users.authenticate("wang.li", password) is not None
    assert web_client.get("/inbox").location == "/password"


def test_the_one_time_password_itself_is_not_a_new_password(web_client, app):
    user, _ = user_admin.create(users.by_username("admin"), {"username": "zhou", "display_name": "Zhou"})
    user.password_hash = users.generate_password_hash("Harbour2026x")
    db.session.commit()
    sign_in(web_client, "zhou", "Harbour2026x")
    assert 'data-error-for="password"' in change(web_client, "Harbour2026x", "Harbour2026x").get_data(as_text=True)
