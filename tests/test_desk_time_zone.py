"""The desk's business time zone (KEYDESK_TIMEZONE) places every "at the desk" time of the shipped processes: the
dunning check at 09:00 the day after the promised date (004 §三.2.5), a revisit's deadline at the end of the plan's
last day (004 §五.7.2), an announcement's send time, and the schedules of the revisit plans, the member review and
the churn watch. A date-time without an offset is the desk's time. Walked with the controlled clock in
Asia/Kolkata (UTC+05:30), not the default Asia/Shanghai."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from engine import scheduler, schedules, timers
from engine.db import db
from engine.models import ProcessModel, ProcessSchedule
from tests.process_library import open_tasks, work
from tests.test_process_customer_announcement import approve, draft, second_supervisor  # noqa: F401 (a fixture)
from tests.test_process_revisits import opened_customer, plan_started, revisits_of
from tests.test_process_yellow_dunning import C_GROUP, check, open_dunning


@pytest.fixture(autouse=True)
def desk_in_kolkata(monkeypatch, fake_clock):
    """Before the app (autouse fixtures come first): the app reads the zone and the demo deploys the schedules."""
    monkeypatch.setenv("KEYDESK_TIMEZONE", "Asia/Kolkata")
    return fake_clock


def bpmn_timer_due(ticket, element_id: str) -> datetime:
    due, = [t.due_at for t in timers.armed(ticket, "bpmn") if t.element_id == element_id]
    return due


def test_the_promised_payment_is_checked_at_09_00_at_the_desk_the_day_after(app, fake_clock):
    ticket = open_dunning(C_GROUP, 8000)
    work(ticket, *check(8000))
    work(ticket, "voice_reminder", "billing", {"contact_result": "promised_to_pay", "promised_date": "2026-12-05"})
    due = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)  # 6 December 09:00 in Kolkata
    assert bpmn_timer_due(ticket, "wait_for_promise") == due
    fake_clock.current = datetime(2026, 12, 6, 1, 0, 1, tzinfo=UTC)  # 09:00 in Shanghai: not yet
    scheduler.sweep()
    assert open_tasks(ticket) == []
    fake_clock.current = due + timedelta(seconds=1)
    scheduler.sweep()
    assert open_tasks(ticket) == ["check_payment"]


def test_the_schedules_start_at_the_desks_hour(app):
    anchors = {(row.model.key, row.element_id): row.anchor for row in schedules.schedules()}
    kolkata = {("revisit_plan", "monthly_revisits"): datetime(2026, 11, 30, 21, 30, tzinfo=UTC),  # 1 Dec 03:00
               ("revisit_plan", "quarterly_revisits"): datetime(2026, 12, 31, 22, 30, tzinfo=UTC),  # 1 Jan 04:00
               ("member_review", "monthly_screening"): datetime(2026, 11, 30, 20, 30, tzinfo=UTC),  # 1 Dec 02:00
               ("member_review", "yearly_inspection_start"): datetime(2027, 1, 14, 21, 30, tzinfo=UTC),  # 15 Jan 03:00
               ("churn_watch", "nightly_pass"): datetime(2026, 11, 30, 20, 0, tzinfo=UTC)}  # 1 Dec 01:30
    assert {key: anchors.get(key) for key in kolkata} == kolkata, anchors


def test_a_revisit_is_overdue_at_the_end_of_the_plans_last_day_at_the_desk(app, fake_clock):
    opened_customer("N-NOV1", date(2026, 11, 1))
    monthly, = db.session.scalars(select(ProcessSchedule).join(ProcessModel).where(
        ProcessModel.key == "revisit_plan", ProcessSchedule.element_id == "monthly_revisits"))
    revisit = revisits_of(plan_started(fake_clock, monthly.anchor, "monthly"))["N-NOV1"]
    assert revisit.data["due_on"] == "2026-12-31"
    assert bpmn_timer_due(revisit, "revisit_overdue") == datetime(2026, 12, 31, 18, 29, tzinfo=UTC)  # 23:59


def test_an_announcement_goes_out_at_its_send_time_at_the_desk(app, fake_clock, second_supervisor):  # noqa: F811
    ticket = draft(send_at="2026-11-23T15:00")
    approve(ticket, second_supervisor)
    assert bpmn_timer_due(ticket, "wait_send_time") == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # 15:00
