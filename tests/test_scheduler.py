"""The scheduler's timer job: it wakes when a timer falls due, and nothing makes it stop firing."""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from engine import deployments, scheduler, tickets
from engine.db import db
from engine.directory import users
from engine.models import SchedulerHeartbeat, Timer
from tests.bpmn_samples import TIMER_STEP, simple


def waiting(duration: str):
    deployments.deploy(users.by_username("supervisor"), simple(key="waits", step=TIMER_STEP.replace(
        "{duration}", duration)))
    return tickets.start_ticket(users.by_username("agent"), "waits", "scheduler test")


def test_a_failing_sweep_is_logged_and_tried_again(app, fake_clock, monkeypatch, caplog):
    def broken(*_args):
        raise RuntimeError("database restarting")

    monkeypatch.setattr(scheduler, "sweep", broken)
    assert scheduler.timer_job(app, []) == fake_clock.now() + scheduler.MAX_SLEEP
    assert "timer sweep failed" in caplog.text


def test_an_overdue_timer_another_worker_holds_is_looked_at_again_soon(app, fake_clock):
    waiting("PT1M")
    fake_clock.advance(minutes=5)  # overdue and not fired: another worker holds it
    assert scheduler.next_wake() == fake_clock.now() + scheduler.RETRY


def test_the_timer_job_beats_every_ten_seconds(app, fake_clock):
    beats = []
    scheduler.timer_job(app, beats)
    first = db.session.scalar(select(SchedulerHeartbeat.beat_at))
    fake_clock.advance(seconds=5)
    scheduler.timer_job(app, beats)
    db.session.expire_all()
    assert db.session.scalar(select(SchedulerHeartbeat.beat_at)) == first
    fake_clock.advance(seconds=6)
    scheduler.timer_job(app, beats)
    db.session.expire_all()
    assert db.session.scalar(select(SchedulerHeartbeat.beat_at)) == fake_clock.now()


def test_the_real_scheduler_fires_a_timer_and_beats(app):
    """The one test with the real clock: APScheduler's wiring, bounded to a few seconds."""
    ticket = waiting("PT1S")
    running = scheduler.start(app)
    try:
        assert {"delivery", "purge"} <= {job.id for job in running.get_jobs()}  # expired import previews, hourly
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            db.session.expire_all()
            if db.session.scalar(select(Timer.state).where(Timer.ticket_id == ticket.id)) == "fired":
                break
            time.sleep(0.1)
        row = db.session.scalar(select(Timer).where(Timer.ticket_id == ticket.id))
        assert row.state == "fired"  # how late: bench/timers.py measures it, a test under load can't
        assert db.session.scalar(select(SchedulerHeartbeat.worker)) == scheduler.WORKER
    finally:
        running.shutdown(wait=True)


def test_a_stopped_scheduler_no_longer_rearms_its_timer_job():
    """shutdown(wait=True) holds APScheduler's lock while jobs finish: a re-arm after it must not wait on it."""
    running = scheduler.Scheduler(timezone="UTC")
    running.start(paused=True)
    running.rearm(print, datetime.now(UTC) + timedelta(hours=1))
    assert [job.id for job in running.get_jobs()] == ["timers"]
    running.shutdown(wait=True)
    running.rearm(print, datetime.now(UTC) + timedelta(hours=2))
    assert running.get_jobs() == []


def test_the_delivery_job_drains_full_batches_and_survives_a_failure(app, monkeypatch, caplog):
    batches = [scheduler.BATCH, scheduler.BATCH, 3]
    monkeypatch.setattr(scheduler.outbox_delivery, "deliver_due", lambda limit: batches.pop(0))
    scheduler.delivery_job(app)
    assert batches == []  # two full batches, then one that emptied the outbox

    def broken(limit):
        raise OSError("mail server unreachable")

    monkeypatch.setattr(scheduler.outbox_delivery, "deliver_due", broken)
    scheduler.delivery_job(app)  # does not raise: the job keeps its place in the scheduler
    assert "outbox delivery failed" in caplog.text
