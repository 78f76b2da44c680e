"""GET /healthz: 200 when the web process, the database and a scheduler are up, else 503 with what is down."""

from datetime import timedelta

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from engine import clock, scheduler
from engine.db import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz():
    checks = {"web": "ok", "database": _database(), "scheduler": _scheduler()}
    healthy = all(v == "ok" for v in checks.values())
    return {"status": "ok" if healthy else "degraded", "checks": checks}, 200 if healthy else 503


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as err:
        db.session.rollback()
        return f"down: {err.__class__.__name__}"


def _scheduler() -> str:
    try:
        last = scheduler.last_beat()
    except SQLAlchemyError:
        db.session.rollback()
        return "unknown: database down"
    if last is None:
        return "down: no scheduler has run"
    age = clock.now() - last
    if age > timedelta(seconds=current_app.config["SCHEDULER_STALE_SECONDS"]):
        return f"down: last heartbeat {int(age.total_seconds())} s ago"
    return "ok"
