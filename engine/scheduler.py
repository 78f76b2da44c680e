"""The background scheduler of a KeyDesk process: fires due timers (and, while it does, proves it is alive),
delivers the outbox, drops expired import previews and old live events and, once a day, sends the contracts'
expiry reminders.

The timer job does not poll on a slow fixed beat: after each sweep it schedules itself for the next
due timer, and at the latest one second later, to catch timers armed by other processes.
"""

import os
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select

from engine import clock, schedules, tickets, timers
from engine.contracts import reminders as contract_reminders
from engine.db import db
from engine.errors import Conflict, EngineError
from engine.imports import batches as imports
from engine.live import events as live
from engine.models import ProcessSchedule, SchedulerHeartbeat
from notifications import delivery as outbox_delivery

HEARTBEAT_SECONDS = 10
MAX_SLEEP = timedelta(seconds=1)
RETRY = timedelta(milliseconds=100)
DELIVERY_SECONDS = 5
PURGE_SECONDS = 3600
LIVE_PURGE_SECONDS = 600
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
    """Fire due timers, most overdue first, then start the tickets of due schedules, until none is due or
    `limit` were handled. Returns how many."""
    handled = 0
    for handle in (tickets.fire_due_timer, start_due_schedule):
        skip: set[int] = set()
        while handled < limit and handle(skip) is not None:
            handled += 1
    return handled


def start_due_schedule(skip: set[int]) -> int | None:
    """Claim the most overdue schedule, start its ticket as the user who deployed the version (a real,
    accountable person in the history, no login-less system account) and move it on, in one step. Returns the
    schedule's id, or None when nothing is due. A ticket that cannot start leaves its reason on the schedule."""
    claimed: list[int] = []
    try:
        with tickets.step():
            row = schedules.claim_next(skip)
            if row is None:
                return None
            claimed.append(row.id)
            version = row.version
            ticket = tickets.open_ticket(version.deployed_by, version, schedules.title(row),
                                         data=schedules.defaults(tickets.start_form(version),
                                                                 version.properties),
                                         start_event=row.element_id)
            schedules.started(row, ticket)
    except Conflict:
        skip.add(claimed[0])
    except EngineError as err:
        skip.add(claimed[0])
        with tickets.step():
            schedules.failed(db.session.get(ProcessSchedule, claimed[0]), err.message)
    return claimed[0] if claimed else None


def next_wake():
    """When the timer job should run next: just past the next due timer or schedule (timers fire strictly after
    it), at the latest in MAX_SLEEP; soon again when an overdue timer is held by another worker."""
    due = min((d for d in (timers.next_due(), schedules.next_due()) if d is not None), default=None)
    now = clock.now()
    wake = now + MAX_SLEEP if due is None else min(now + MAX_SLEEP, due + timedelta(milliseconds=1))
    return wake if wake > now else now + RETRY


def timer_job(app: Flask, last_beat_at: list):
    """One run of the timer job. It never raises: a failed sweep is logged and tried again, so the job
    can never drop out of the scheduler. It also writes the heartbeat /healthz reads (every
    HEARTBEAT_SECONDS), so a scheduler that stopped firing timers shows as down. Returns when to run next."""
    with app.app_context():
        try:
            wake = clock.now() if sweep() >= BATCH else next_wake()
            if not last_beat_at or clock.now() - last_beat_at[0] >= timedelta(seconds=HEARTBEAT_SECONDS):
                beat()
                last_beat_at[:] = [clock.now()]
        except Exception:
            app.logger.exception("timer sweep failed; trying again in %s", MAX_SLEEP)
            db.session.rollback()
            wake = clock.now() + MAX_SLEEP
        finally:
            db.session.remove()
    return wake


@contextmanager
def _job(app: Flask, failure: str):
    """One run of a background job: in the app's context, its session released; a failure is logged and rolled
    back, never raised, so that the job keeps its place in the scheduler."""
    with app.app_context():
        try:
            yield
        except Exception:
            app.logger.exception(failure)
            db.session.rollback()
        finally:
            db.session.remove()


def delivery_job(app: Flask) -> None:
    """Send what is due in the outbox. Like the timer job it never raises; slow mail servers delay only it."""
    with _job(app, f"outbox delivery failed; trying again in {DELIVERY_SECONDS} s"):
        while outbox_delivery.deliver_due(limit=BATCH) >= BATCH:
            pass


def purge_job(app: Flask) -> None:
    """Drop the stored rows of import previews nobody committed in time, also when nobody imports again."""
    with _job(app, f"purging stale import previews failed; trying again in {PURGE_SECONDS} s"):
        imports.purge_stale()
        db.session.commit()


def live_purge_job(app: Flask) -> None:
    """Drop live events older than an hour (engine.live.events.KEEP): they are notices, not ticket history."""
    with _job(app, f"purging old live events failed; trying again in {LIVE_PURGE_SECONDS} s"):
        live.purge()
        db.session.commit()


def contract_reminder_job(app: Flask) -> None:
    """The daily sweep of contract expiry reminders; never raises. Safe to run more often (at every start too): each
    reminder goes out once."""
    with _job(app, "contract reminder sweep failed; trying again at the next run"):
        contract_reminders.sweep()


def daily_at(app: Flask) -> CronTrigger:
    """CONTRACT_REMINDER_TIME (HH:MM) every day in the desk's time zone."""
    text = app.config.get("CONTRACT_REMINDER_TIME", "08:30")
    try:
        hour, minute = (int(part) for part in text.split(":"))
        return CronTrigger(hour=hour, minute=minute, timezone=app.config["TIMEZONE"])
    except ValueError:
        raise ValueError(f"CONTRACT_REMINDER_TIME {text!r}: write HH:MM such as 08:30 "
                         f"(合同到期提醒时间 {text!r} 有误：请写成 08:30 这样的时:分)") from None


class Scheduler(BackgroundScheduler):
    """APScheduler, whose timer job re-arms itself for the next wake.

    APScheduler's shutdown(wait=True) holds its job-store lock while it waits for running jobs, and
    add_job needs that lock: a timer job re-arming itself during a shutdown would wait forever. So
    shutdown first stops the re-arming, under a lock of its own that a re-arm holds while it runs.
    """

    def __init__(self, **options):
        super().__init__(**options)
        self._rearming = threading.Lock()
        self._stopping = False

    def rearm(self, job, wake: datetime) -> None:
        with self._rearming:
            if not self._stopping:
                self.add_job(job, "date", run_date=wake, id="timers", replace_existing=True)

    def shutdown(self, wait: bool = True) -> None:
        with self._rearming:
            self._stopping = True
        super().shutdown(wait)


def start(app: Flask) -> Scheduler:
    scheduler = Scheduler(timezone="UTC", job_defaults={"misfire_grace_time": None, "coalesce": True})
    last_beat_at: list = []

    def fire_timers() -> None:
        scheduler.rearm(fire_timers, timer_job(app, last_beat_at))

    scheduler.add_job(fire_timers, "date", run_date=clock.now(), id="timers")
    scheduler.add_job(delivery_job, "interval", args=[app], seconds=DELIVERY_SECONDS, id="delivery")
    scheduler.add_job(purge_job, "interval", args=[app], seconds=PURGE_SECONDS, id="purge")
    scheduler.add_job(live_purge_job, "interval", args=[app], seconds=LIVE_PURGE_SECONDS, id="live_purge")
    scheduler.add_job(contract_reminder_job, daily_at(app), args=[app], id="contract_reminders",
                      next_run_time=clock.now())  # and once at start: a day the process was down is made up
    scheduler.start()
    return scheduler
