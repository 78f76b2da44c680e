"""The Flask application: REST API, health check and (later) the staff pages."""

import os
import secrets
from pathlib import Path

from flask import Flask, render_template
from flask_login import LoginManager
from flask_migrate import Migrate

from engine.db import db
from engine.models import User

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "engine" / "migrations"
migrate = Migrate()
login_manager = LoginManager()


def create_app(overrides: dict | None = None) -> Flask:
    instance = Path(os.environ.get("KEYDESK_INSTANCE", ROOT / "instance"))
    app = Flask(__name__, instance_path=str(instance))
    instance.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'keydesk.db'}"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or _instance_secret(instance),
        TIMEZONE=os.environ.get("KEYDESK_TIMEZONE", "Asia/Shanghai"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        SCHEDULER_STALE_SECONDS=60,
    )
    app.config.update(overrides or {})
    app.json.sort_keys = False
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    login_manager.init_app(app)

    from web import api, health

    app.register_blueprint(api.blueprint)
    app.register_blueprint(health.blueprint)
    app.add_url_rule("/", "index", lambda: render_template("index.html"))
    return app


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in instance/, so sessions survive a restart."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
