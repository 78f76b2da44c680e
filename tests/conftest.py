"""Shared fixtures: an app on a fresh database (SQLite, or PostgreSQL where marked), demo data, tokens, a clock."""

import functools
import os
import re
from datetime import UTC, datetime, timedelta

import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine import clock, demo
from engine.db import db
from engine.directory import branches, users
from web import create_app

# Each test run gets a database of its own (the name plus the process id), so that two runs side by
# side never drop each other's schema; it is created on first use and dropped at the end of the run.
_SERVER = make_url(os.environ.get("KEYDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/keydesk_test"))
PG_URL = _SERVER.set(database=f"{_SERVER.database}_{os.getpid()}").render_as_string(hide_password=False)


def _admin_engine():
    return create_engine(_SERVER.set(database="postgres"), isolation_level="AUTOCOMMIT")


def postgres_url() -> str:
    """This run's test database on the local PostgreSQL, created if missing; skips the test when unreachable."""
    url = make_url(PG_URL)
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}):
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    except Exception as err:  # any failure to reach the server means: no PostgreSQL here
        pytest.skip(f"PostgreSQL not reachable at {url.render_as_string(hide_password=True)}: {err.__class__.__name__}")
    finally:
        admin.dispose()
    return PG_URL


@pytest.fixture(scope="session", autouse=True)
def drop_the_run_database():
    yield
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(PG_URL).database}" WITH (FORCE)'))
    except Exception:  # no server: nothing was created
        pass
    finally:
        admin.dispose()


def make_app(tmp_path, backend: str):
    uri = f"sqlite:///{tmp_path / 'test.db'}" if backend == "sqlite" else postgres_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
    with app.app_context():
        if backend == "postgres":
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        db.create_all()
        demo.load()
    return app


@pytest.fixture(scope="session", autouse=True)
def hash_each_password_once():
    """Scrypt is slow on purpose; the demo users' real hash is computed once per test session, not per test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "generate_password_hash", functools.cache(users.generate_password_hash))
        yield


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def app(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("KEYDESK_INSTANCE", str(tmp_path / "instance"))
    app = make_app(tmp_path, backend)
    ctx = app.app_context()
    ctx.push()
    yield app
    db.session.remove()
    ctx.pop()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def token(app):
    """A fresh API token for a demo user."""
    def issue(username: str) -> str:
        return users.issue_token(users.by_username(username))

    return issue


@pytest.fixture
def api(client, token):
    """Call the API as a demo user: api("post", "/tickets", "agent", json={...})."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, username: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if username:
            tokens.setdefault(username, token(username))
            headers["Authorization"] = f"Bearer {tokens[username]}"
        return client.open(f"/api/v1{path}", method=method.upper(), headers=headers, **kwargs)

    return call


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime):
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def fake_clock(monkeypatch):
    fake = FakeClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "now", fake.now)
    return fake


class StaffClient:
    """A test client signed in to the staff pages; post() sends the session's CSRF token as a form would."""

    def __init__(self, client, csrf_token: str):
        self.client, self.csrf_token = client, csrf_token

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.csrf_token, **(data or {})}, **kwargs)


class FreshClient(FlaskClient):
    """Requests made inside the test's app context share flask.g; start each with an empty g, as a real request
    does (otherwise the signed-in user, the language and the CSRF token of one request would leak into the next)."""

    def open(self, *args, **kwargs):
        g.__dict__.clear()
        return super().open(*args, **kwargs)


@pytest.fixture
def pudong_supervisor(app) -> str:
    """A supervisor of the Pudong branch only (SH-PD), for what a branch's supervisor may and may not see."""
    users.create_user("pdsuper", "demo", ["supervisor"], "Pudong supervisor", branch=branches.by_code("SH-PD"))
    db.session.commit()
    return "pdsuper"


@pytest.fixture
def web_client(app):
    """A test client for the staff pages (forms, sessions, CSRF)."""
    app.test_client_class = FreshClient
    return app.test_client()


def csrf_token_of(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)


@pytest.fixture
def staff(app, web_client):
    """staff("agent") is a client signed in as that demo user, with the CSRF token its forms carry."""
    def sign_in(username: str) -> StaffClient:
        client = app.test_client()  # a FreshClient, as web_client made it
        response = client.post("/login", data={"username": username, "password": "demo",
                                               "csrf_token": csrf_token_of(client.get("/login"))})
        assert response.status_code == 302, response.get_data(as_text=True)
        return StaffClient(client, csrf_token_of(client.get("/profile")))

    return sign_in
