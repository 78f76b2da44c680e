"""The background scheduler of a KeyDesk process: fires due timers and proves it is alive.

The timer job does not poll on a slow fixed beat: after each sweep it schedules itself for the next
due timer, and at the latest one second later, to catch timers armed by other processes.
"""

import os
import socket
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from engine import clock, tickets, timers
from engine.db import db
from engine.models import SchedulerHeartbeat

HEARTBEAT_SECONDS = 10
MAX_SLEEP = timedelta(seconds=1)
BATCH = 500
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def beat(worker: str = WORKER) -> None:
    """Record that this worker's scheduler ran just now."""
    row = db.session.get(SchedulerHeartbeat, worker) or SchedulerHeartbeat(worker=worker)
    row.beat_at = clock.now()
    db.session.add(row)
    db.session.commit()


def last_beat():
    return db.session.scalar(select(SchedulerHeartbeat.beat_at).order_by(SchedulerHeartbeat.beat_at.desc()).limit(1))


def sweep(limit: int = BATCH) -> int:
    """Fire due timers, most overdue first, until none is due or `limit` were handled. Returns how many."""
    skip: set[int] = set()
    handled = 0
    while handled < limit and tickets.fire_due_timer(skip) is not None:
        handled += 1
    return handled


def next_wake():
    """When the timer job should run next: the next due time (timers fire once strictly past it), capped."""
    due = timers.next_due()
    latest = clock.now() + MAX_SLEEP
    return latest if due is None else min(latest, due + timedelta(milliseconds=1))


def start(app: Flask) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")

    def heartbeat() -> None:
        with app.app_context():
            beat()
            db.session.remove()

    def fire_timers() -> None:
        with app.app_context():
            handled = sweep()
            wake = clock.now() if handled >= BATCH else next_wake()
            db.session.remove()
        scheduler.add_job(fire_timers, "date", run_date=wake, id="timers", replace_existing=True)

    scheduler.add_job(heartbeat, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", next_run_time=clock.now())
    scheduler.add_job(fire_timers, "date", run_date=clock.now(), id="timers")
    scheduler.start()
    return scheduler
