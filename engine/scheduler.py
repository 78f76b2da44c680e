"""The background scheduler of a KeyDesk process. For now it proves it is alive; timer sweeps join it later."""

import os
import socket

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask
from sqlalchemy import select

from engine import clock
from engine.db import db
from engine.models import SchedulerHeartbeat

HEARTBEAT_SECONDS = 10
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def beat(worker: str = WORKER) -> None:
    """Record that this worker's scheduler ran just now."""
    row = db.session.get(SchedulerHeartbeat, worker) or SchedulerHeartbeat(worker=worker)
    row.beat_at = clock.now()
    db.session.add(row)
    db.session.commit()


def last_beat():
    return db.session.scalar(select(SchedulerHeartbeat.beat_at).order_by(SchedulerHeartbeat.beat_at.desc()).limit(1))


def start(app: Flask) -> BackgroundScheduler:
    def job() -> None:
        with app.app_context():
            beat()

    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(job, "interval", seconds=HEARTBEAT_SECONDS, id="heartbeat", next_run_time=clock.now())
    scheduler.start()
    return scheduler
