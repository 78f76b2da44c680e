"""The Flask application: REST API, health check and the staff pages."""

import json
import os
import secrets
from pathlib import Path

from flask import Flask
from flask_babel import lazy_gettext
from flask_login import LoginManager
from flask_migrate import Migrate

from engine import json_text
from engine.db import db
from engine.directory import users
from engine.models import User
from web import path_ids
from web.json_answers import JSONAnswers

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "engine" / "migrations"
migrate = Migrate()
login_manager = LoginManager()


def instance_path() -> Path:
    """The installation's own folder: its SQLite database, secret key and metrics files."""
    return Path(os.environ.get("KEYDESK_INSTANCE", ROOT / "instance"))


def create_app(overrides: dict | None = None) -> Flask:
    instance = instance_path()
    app = Flask(__name__, instance_path=str(instance))
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'keydesk.db'}"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(instance),
        TIMEZONE=os.environ.get("KEYDESK_TIMEZONE", "Asia/Shanghai"),
        HOTLINE=os.environ.get("KEYDESK_HOTLINE", "10018"),  # the key-account hotline customers' notices name
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SCHEDULER_STALE_SECONDS=60,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("KEYDESK_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session: a long shift keeps its forms
        ATTACHMENT_MAX_BYTES=10 * 1024 * 1024,
        INBOX_REFRESH_SECONDS=300,  # a slow safety net: the live notices refresh the list as tasks arrive
        LIVE_STREAMS=int(os.environ.get("KEYDESK_LIVE_STREAMS") or 16),  # per process (web/live_stream.py)
        LIVE_STREAM_SECONDS=25,  # a stream ends after this; the browser reconnects from its last event id
        LIVE_POLL_SECONDS=1.0,  # how often a stream reads the live_events table
        IMPORT_PREVIEW_HOURS=float(os.environ.get("KEYDESK_IMPORT_PREVIEW_HOURS") or 24),  # engine/imports
        CONTRACT_REMINDER_DAYS=os.environ.get("KEYDESK_CONTRACT_REMINDER_DAYS", "90,30,7"),  # engine/contracts
        CONTRACT_REMINDER_TIME=os.environ.get("KEYDESK_CONTRACT_REMINDER_TIME", "08:30"),  # daily, desk time
        LDAP_URL=os.environ.get("KEYDESK_LDAP_URL"),  # sign-in through the operator's directory: engine/directory
        LDAP_USER_DN=os.environ.get("KEYDESK_LDAP_USER_DN"),
        LDAP_GROUP_BASE=os.environ.get("KEYDESK_LDAP_GROUP_BASE"),
        LDAP_GROUP_ROLES=json.loads(os.environ.get("KEYDESK_LDAP_GROUP_ROLES") or "{}"),
    )
    app.config.update(overrides or {})
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(app.config["SQLALCHEMY_DATABASE_URI"]))
    app.json = JSONAnswers(app)
    app.json.sort_keys = False
    app.url_map.converters["int"] = path_ids.DatabaseId
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to open this page.")

    from web import (
        admin_pages,
        announcement_pages,
        api,
        assets,
        auth,
        churn_pages,
        customer_pages,
        health,
        i18n,
        import_pages,
        inbox_pages,
        live_stream,
        metrics,
        modeler_pages,
        new_ticket,
        notification_pages,
        profile,
        report_pages,
        retention_pages,
        security,
        task_pages,
        ticket_list,
        ticket_pages,
    )

    i18n.init_app(app)
    security.init_app(app)
    metrics.init_app(app)
    security.csrf.exempt(api.blueprint)  # bearer tokens only: nothing for a forged request to ride on
    for module in (api, health, assets, auth, inbox_pages, task_pages, ticket_list, ticket_pages, new_ticket, profile,
                   notification_pages, customer_pages, modeler_pages, report_pages, import_pages, admin_pages,
                   churn_pages, retention_pages, announcement_pages, live_stream):
        app.register_blueprint(module.blueprint)
    return app


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return users.by_id(int(user_id))


def _engine_options(uri: str) -> dict:
    """The database's connection pool, and its JSON columns and parameters written by orjson (engine.json_text)."""
    return {**_pool(uri), "json_serializer": json_text.dumps}


def _pool(uri: str) -> dict:
    """A database server's connections a process keeps open between requests: as many as it serves requests at once
    (the embedded server runs one thread per connection; live streams hold threads too), so a busy minute does not
    open and close a connection per request. A pool opens them as needed: a gunicorn worker of 4 threads opens 4."""
    if uri.startswith("sqlite"):
        return {}
    return {"pool_size": int(os.environ.get("KEYDESK_DB_POOL") or 32), "max_overflow": 16}


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in instance/, so sessions survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
