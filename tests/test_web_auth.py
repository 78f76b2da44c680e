"""Sign-in, lockout, CSRF, security headers, language and time zone on the staff pages."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.db import db
from engine.directory import users
from engine.directory.signin import SignInEvent
from tests.conftest import csrf_token_of
from tests.web_data import red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def login(client, username, password, **extra):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token_of(client.get("/login")), **extra})


def test_pages_need_a_signed_in_user(web_client):
    response = web_client.get("/inbox")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_an_htmx_refresh_after_the_session_ended_sends_the_page_to_sign_in(web_client):
    response = web_client.get("/inbox/list", headers={"HX-Request": "true",
                                                      "HX-Current-URL": "http://localhost/inbox?view=mine"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/inbox"


def test_sign_in_and_out(web_client):
    assert login(web_client, "agent", "demo").location == "/inbox"
    assert "Li Na" in web_client.get("/inbox").get_data(as_text=True)
    token = csrf_token_of(web_client.get("/inbox"))
    assert web_client.post("/logout", data={"csrf_token": token}).location == "/login"
    assert web_client.get("/inbox").status_code == 302


def test_a_wrong_password_is_refused_and_recorded(web_client):
    response = login(web_client, "agent", "nope")
    assert response.status_code == 401
    assert "Wrong user name or password" in response.get_data(as_text=True)
    assert web_client.get("/inbox").status_code == 302
    outcomes = db.session.scalars(select(SignInEvent.outcome).where(SignInEvent.username == "agent")).all()
    assert outcomes == ["failure"]


@BOTH
def test_five_failures_lock_the_account_for_fifteen_minutes(web_client, fake_clock):
    for _ in range(4):
        assert login(web_client, "agent", "guess").status_code == 401
    locked = login(web_client, "agent", "guess")
    assert locked.status_code == 429  # until 01:15 UTC, said in the desk's zone (Asia/Shanghai)
    assert "locked until 2026-11-23 09:15." in locked.get_data(as_text=True)
    assert login(web_client, "agent", "demo").status_code == 429  # even the right password, while locked
    outcomes = db.session.scalars(select(SignInEvent.outcome).order_by(SignInEvent.id)).all()
    assert outcomes == ["failure"] * 5 + ["locked", "refused"]
    assert login(web_client.application.test_client(), "manager", "demo").status_code == 302  # only that account
    fake_clock.advance(minutes=15, seconds=1)
    assert login(web_client, "agent", "demo").status_code == 302


def test_a_success_resets_the_failure_count(web_client):
    for _ in range(4):
        login(web_client, "agent", "guess")
    assert login(web_client, "agent", "demo").status_code == 302
    web_client.post("/logout", data={"csrf_token": csrf_token_of(web_client.get("/inbox"))})
    assert login(web_client, "agent", "guess").status_code == 401  # one failure after a success, no lock


def test_a_form_without_its_csrf_token_is_refused(web_client):
    response = web_client.post("/login", data={"username": "agent", "password": "demo"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)
    assert web_client.get("/inbox").status_code == 302


def test_an_action_with_a_forged_token_changes_nothing(staff):
    agent = staff("agent")
    task = red_ticket().tasks[0]
    response = agent.client.post(f"/inbox/tasks/{task.id}/claim", data={"csrf_token": "forged"})
    assert response.status_code == 400
    db.session.refresh(task)
    assert task.state == "open"


def test_the_api_does_not_accept_the_session_cookie(staff):
    agent = staff("agent")
    assert agent.get("/api/v1/tasks").status_code == 401


def test_only_local_paths_are_followed_after_sign_in(web_client):
    assert login(web_client, "agent", "demo", next="https://evil.example/").location == "/inbox"
    web_client.post("/logout", data={"csrf_token": csrf_token_of(web_client.get("/inbox"))})
    assert login(web_client, "agent", "demo", next="/profile").location == "/profile"


def test_pages_carry_security_headers(staff):
    headers = staff("agent").get("/inbox").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"


def test_the_language_is_the_users_choice(staff):
    agent = staff("agent")
    assert "My queues" in agent.get("/inbox").get_data(as_text=True)
    agent.post("/language", data={"locale": "zh_CN", "next": "/inbox"})
    page = agent.get("/inbox").get_data(as_text=True)
    assert "我的队列" in page and "My queues" not in page
    assert users.by_username("agent").locale == "zh_CN"
    assert "待办" in staff("agent").get("/inbox").get_data(as_text=True)  # kept for the next sign-in


def test_the_login_page_follows_the_browser_language_until_chosen(web_client):
    assert "登录" in web_client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).get_data(as_text=True)
    assert "Sign in to KeyDesk" in web_client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_times_show_in_the_users_time_zone(staff, fake_clock):
    fake_clock.current = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    ticket = red_ticket()
    agent = staff("agent")
    assert "9:00" in agent.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    agent.post("/profile", data={"locale": "en", "timezone": "Europe/London", "email": "", "phone": ""})
    page = agent.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "1:00" in page and "9:00" not in page
