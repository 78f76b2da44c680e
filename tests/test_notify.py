"""Who gets which message, in which words: templates per event and language, duty rotas, channel choices,
quiet hours, one message per person and alert, and the delivery record.

The fake clock starts on Monday 2026-11-23 at 01:00 UTC, 09:00 at the desk (Asia/Shanghai).
"""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import scheduler, tickets
from engine.db import db
from engine.directory import users
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.models import ImmutableRecordError, User
from notifications import delivery, notify, preferences, rota, templates
from notifications.outbox import DeliveryAttempt, OutboxMessage, enqueue_to
from notifications.templates import MessageTemplate
from tests.test_sla import LADDER, open_ticket, staff
from tests.test_workers import lock_waits

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
NIGHT_AND_DAY = [{"username": "supervisor", "days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00",
                  "until": "20:00"},
                 {"username": "night", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "20:00",
                  "until": "08:00"}]


@pytest.fixture(autouse=True)
def no_channel_settings(monkeypatch):
    for name in ("SMTP_HOST", "SMS_GATEWAY", "SMS_HTTP_URL", "SMPP_HOST"):
        monkeypatch.delenv(name, raising=False)


def queued(**where) -> list[tuple]:
    """(event, recipient, channel, subject) of queued messages, oldest first, filtered by column values."""
    query = (select(OutboxMessage.event, User.username, OutboxMessage.channel, OutboxMessage.subject)
             .join(User, User.id == OutboxMessage.recipient_id).order_by(OutboxMessage.id))
    for column, value in where.items():
        query = query.where(getattr(OutboxMessage, column) == value)
    return [tuple(row) for row in db.session.execute(query)]


def night_supervisor() -> User:
    person = users.create_user("night", "demo", ["supervisor"], "Zhou Ye (night supervisor)",
                               "night@keydesk.example", "+8613800000006", users.by_username("supervisor").branch)
    db.session.commit()
    return person


def speaks(**locales: str) -> None:
    """Each person's language, as they set it on their profile page."""
    for name, locale in locales.items():
        staff(name).locale = locale
    db.session.commit()


def breach_ladder(fake_clock, **props):
    """A claimed task whose resolution breaches and climbs to the supervisor (rung 1) and the admin (rung 2)."""
    task = open_ticket({**LADDER, "sla.response": "PT2H", **props})
    tickets.claim(staff("agent"), task.id)
    for minutes in (31, 30, 60):  # warning, breach with rung 1, rung 2
        fake_clock.advance(minutes=minutes)
        scheduler.sweep()
    return task


# --- templates ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("event", templates.EVENTS)
def test_every_event_has_a_default_in_english_and_chinese(app, event):
    english, chinese = templates.preview(event, "en"), templates.preview(event, "zh_CN")
    for shown in (english, chinese):
        assert "R-2026-000042" in shown["subject"] and shown["version"] == 0
    if event not in ("process_message", "customer_notice"):  # those carry the diagram's own words
        assert english["body"] != chinese["body"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in chinese["subject"] + chinese["body"].replace(
            "专线中断", "").replace("港口办公室断网", ""))


def test_sla_alerts_speak_each_recipients_language_and_name_ticket_and_rung(app, fake_clock):
    speaks(agent="zh_CN", supervisor="en", admin="zh_CN")
    task = breach_ladder(fake_clock)
    number = task.ticket.number
    [warning] = queued(event="sla_warning", channel="email")
    assert warning[1] == "agent" and warning[3].startswith(f"[{number}]") and "到期" in warning[3]
    rungs = queued(event="sla_breached", channel="email")
    assert [(who, subject) for _, who, _, subject in rungs] == [
        ("supervisor", f"[{number}] Resolution of 'Do the work' breached its SLA (escalation level 1: supervisor)"),
        ("admin", f"[{number}] “Do the work”处理超时（第 2 级升级：admin）")]
    sms = db.session.scalar(select(OutboxMessage).where(OutboxMessage.event == "sla_breached",
                                                        OutboxMessage.channel == "sms"))
    assert number in sms.body and "SLA test" in sms.body


def test_an_admins_version_replaces_the_default_and_every_version_is_kept(app, fake_clock):
    admin = staff("admin")
    speaks(agent="zh_CN")
    first = templates.save(admin, "sla_warning", "zh_CN", "{{ ticket.number }} 即将超时", "请尽快处理 {{ sla.step }}")
    templates.save(admin, "sla_warning", "zh_CN", "{{ ticket.number }} 快超时了", "请处理 {{ sla.step }}", "shorter")
    task = breach_ladder(fake_clock)
    [(_, _, _, subject)] = queued(event="sla_warning", channel="email")
    assert subject == f"{task.ticket.number} 快超时了"
    assert [(v.version, v.comment, v.created_by.username) for v in templates.versions("sla_warning", "zh_CN")] == [
        (2, "shorter", "admin"), (1, "", "admin")]
    db.session.delete(first)
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("subject", "body", "part", "line", "says"), [
    ("ok", "Ticket {{ ticket.number }}\n\n{% if sla.rung %}", "body", 3, "Unexpected end of template"),
    ("ok", "line one\n{{ tiket.number }}", "body", 2, "'tiket' is undefined"),
    ("{{ ticket.__class__.__mro__ }}", "x", "subject", 1, "unsafe"),
    ("{{ '{0.__class__}'.format(recipient) }}", "x", "subject", 1, "unsafe"),
])
def test_a_broken_template_is_refused_with_its_part_and_line(app, subject, body, part, line, says):
    with pytest.raises(InvalidInput) as caught:
        templates.save(staff("admin"), "task_assigned", "en", subject, body)
    [problem] = caught.value.details
    assert (problem["field"], problem["line"]) == (part, line) and says in problem["message"]
    assert f"the {part} template, line {line}" in caught.value.message
    assert db.session.scalar(select(func.count()).select_from(MessageTemplate)) == 0


def test_templates_are_for_admins_and_known_events_only(app):
    with pytest.raises(Forbidden):
        templates.save(staff("supervisor"), "task_assigned", "en", "x", "y")
    with pytest.raises(NotFound, match="no message event 'birthday'"):
        templates.save(staff("admin"), "birthday", "en", "x", "y")


def test_a_template_that_leaves_out_the_ticket_number_still_names_it(app, fake_clock):
    templates.save(staff("admin"), "task_assigned", "zh_CN", "新任务", "请查看收件箱")
    speaks(agent="zh_CN")
    task = open_ticket()
    tickets.assign(staff("supervisor"), task.id, "agent")
    assert queued(event="task_assigned", channel="email") == [
        ("task_assigned", "agent", "email", f"[{task.ticket.number}] 新任务")]


# --- recipients: duty rota, channels, quiet hours ----------------------------------------------------------

def test_a_role_with_a_rota_resolves_to_whoever_is_on_duty_now(app, fake_clock):
    night_supervisor()
    assert [u.username for u in rota.on_duty("supervisor")] == ["supervisor", "night"]  # no rota: all members
    rota.save(staff("admin"), "supervisor", NIGHT_AND_DAY)
    desk = {"Mon 09:00": 0, "Mon 19:59": 10 * 60 + 59, "Mon 20:00": 11 * 60, "Tue 02:00": 17 * 60,
            "Sat 21:00": 5 * 24 * 60 + 12 * 60}
    on_duty = {when: [u.username for u in rota.on_duty("supervisor", fake_clock.now() + timedelta(minutes=m))]
               for when, m in desk.items()}
    assert on_duty == {"Mon 09:00": ["supervisor"], "Mon 19:59": ["supervisor"], "Mon 20:00": ["night"],
                       "Tue 02:00": ["night"], "Sat 21:00": ["night"]}


def test_a_moment_no_shift_covers_alerts_every_member(app, fake_clock):
    night_supervisor()
    rota.save(staff("supervisor"), "supervisor", NIGHT_AND_DAY[:1])  # weekdays 08-20 only
    at_night = fake_clock.now() + timedelta(hours=14)
    assert [u.username for u in rota.on_duty("supervisor", at_night)] == ["supervisor", "night"]


def test_a_night_breach_reaches_the_supervisor_on_duty_only(app, fake_clock):
    night_supervisor()
    rota.save(staff("admin"), "supervisor", NIGHT_AND_DAY)
    fake_clock.advance(hours=17)  # 02:00 at the desk
    breach_ladder(fake_clock, **{"sla.escalate_to": "supervisor"})
    assert {who for _, who, _, _ in queued(event="sla_breached")} == {"night"}


@pytest.mark.parametrize(("shifts", "field"), [
    ([{**NIGHT_AND_DAY[0], "username": "agent"}], "shifts[0].username"),
    ([{**NIGHT_AND_DAY[0], "days": ["monday"]}], "shifts[0].days"),
    ([{**NIGHT_AND_DAY[0], "until": "24:00"}], "shifts[0].until"),
    ([{**NIGHT_AND_DAY[0], "until": "08:00"}], "shifts[0].until"),
    ([{"username": "supervisor"}], "shifts[0]"),
])
def test_a_wrong_shift_is_named_and_nothing_is_saved(app, shifts, field):
    with pytest.raises(InvalidInput) as caught:
        rota.save(staff("admin"), "supervisor", shifts)
    assert [p["field"] for p in caught.value.details] == [field]
    assert rota.get("supervisor")["shifts"] == []


def test_only_supervisors_and_admins_set_a_rota(app):
    with pytest.raises(Forbidden):
        rota.save(staff("agent"), "supervisor", [])


def test_each_person_picks_the_channels_per_event(app, fake_clock):
    agent = staff("agent")
    preferences.save(agent, agent, {"channels": {"sla_warning": ["sms"]}})
    breach_ladder(fake_clock, **{"sla.reassign": "false"})
    assert [channel for _, _, channel, _ in queued(event="sla_warning")] == ["sms"]
    assert preferences.as_dict(agent)["channels"]["sla_breached"] == ["email", "sms"]


def test_quiet_hours_hold_a_warning_until_morning_but_never_a_red_breach(app, fake_clock):
    agent = staff("agent")
    preferences.save(agent, agent, {"quiet_hours": {"from": "22:00", "until": "07:00"}})
    fake_clock.advance(hours=14)  # 23:00 at the desk
    ticket = open_ticket(channel="red").ticket
    morning = fake_clock.now() + timedelta(hours=8)  # 07:00 at the desk
    warning = notify.people("sla_warning", [agent], "quiet:1", ticket, sla={"kind": "response", "step": "Work"})
    breach = notify.people("sla_breached", [agent], "quiet:2", ticket, sla={"kind": "response", "step": "Work"})
    db.session.commit()
    warning, breach = ([db.session.get(OutboxMessage, m.id) for m in queued] for queued in (warning, breach))
    assert {m.next_attempt_at for m in warning} == {morning}
    assert {m.next_attempt_at for m in breach} == {fake_clock.now()}
    delivery.deliver_due()  # tries what is due: the breach (it fails: no channel is set up here)
    assert [m.attempts for m in warning + breach] == [0, 0, 1, 1]
    fake_clock.current = morning - timedelta(seconds=1)
    delivery.deliver_due()
    assert [m.attempts for m in warning] == [0, 0]
    fake_clock.current = morning
    delivery.deliver_due()
    assert [m.attempts for m in warning] == [1, 1]  # the held warning goes out at 07:00


def test_outside_quiet_hours_nothing_is_held(app, fake_clock):
    agent = staff("agent")
    preferences.save(agent, agent, {"quiet_hours": {"from": "22:00", "until": "07:00"}})
    [message, _] = notify.people("sla_warning", [agent], "day:1", None)
    assert message.next_attempt_at == fake_clock.now()


@pytest.mark.parametrize(("data", "field"), [
    ({"channels": {"sla_breached": []}}, "channels.sla_breached"),
    ({"channels": {"sla_breached": ["pager"]}}, "channels.sla_breached"),
    ({"channels": {"birthday": ["sms"]}}, "channels.birthday"),
    ({"quiet_hours": {"from": "22:00"}}, "quiet_hours"),
    ({"quiet_hours": {"from": "7pm", "until": "07:00"}}, "quiet_hours"),
    ({"language": "en"}, "language"),
])
def test_wrong_preferences_are_named_and_nothing_changes(app, data, field):
    agent = staff("agent")
    with pytest.raises(InvalidInput) as caught:
        preferences.save(agent, agent, data)
    assert [p["field"] for p in caught.value.details] == [field]
    assert db.session.get(preferences.NotificationPreference, agent.id) is None


def test_only_an_admin_changes_someone_elses_preferences(app):
    with pytest.raises(Forbidden):
        preferences.save(staff("supervisor"), staff("agent"), {"channels": {"sla_warning": ["sms"]}})
    preferences.save(staff("admin"), staff("agent"), {"channels": {"sla_warning": ["sms"]}})
    assert preferences.channels_for(staff("agent"), "sla_warning") == ["sms"]


# --- once per person and alert -----------------------------------------------------------------------------

def test_the_same_alert_is_queued_once_however_often_its_step_is_retried(app, fake_clock):
    agent, ticket = staff("agent"), open_ticket().ticket
    for _ in range(3):  # a step retried after a conflict, or run again by a second worker
        notify.people("sla_breached", [agent, agent], "sla:7:sla_breached:1", ticket, sla={"kind": "response"})
        db.session.commit()
    assert [(who, channel) for _, who, channel, _ in queued(event="sla_breached")] == [("agent", "email"),
                                                                                       ("agent", "sms")]


@BOTH
@pytest.mark.parametrize("first_worker", ["commits", "rolls back"])
def test_two_workers_queueing_the_same_alert_at_once_leave_one_message(app, fake_clock, backend, first_worker):
    """The second worker's insert waits for the first's transaction (ON CONFLICT DO NOTHING on the unique dedupe
    key): it queues nothing if the first committed, the message if the first rolled back, and its step goes on
    either way. No worker reads before it writes, so none can miss the other's row."""
    assert enqueue_to("sla_breached", "sms", "+8613800000001", "s", "b", "alert:1")  # the first, not committed
    second = {}

    def second_worker():
        with app.app_context():
            second["queued"] = len(enqueue_to("sla_breached", "sms", "+8613800000001", "s", "b", "alert:1"))
            db.session.commit()

    worker = threading.Thread(target=second_worker)
    worker.start()
    if backend == "postgres":  # it really waits on the first's uncommitted row
        deadline = time.monotonic() + 10
        while not lock_waits() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert lock_waits(), "the second insert never waited for the first"
    if first_worker == "commits":
        db.session.commit()
    else:
        db.session.rollback()
    worker.join(30)
    assert second == {"queued": 0 if first_worker == "commits" else 1}
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


def test_the_unique_dedupe_key_refuses_a_second_row_written_past_the_outbox(app, fake_clock):
    """The backstop under ``enqueue_to``: a row added some other way cannot duplicate a key either."""
    sessions = [Session(db.engine), Session(db.engine)]
    for session in sessions:
        session.add(OutboxMessage(event="sla_breached", channel="sms", address="+8613800000001", subject="s",
                                  body="b", dedupe_key="alert:1:sms"))
    sessions[0].commit()
    with pytest.raises(IntegrityError):
        sessions[1].commit()
    for session in sessions:
        session.close()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1


# --- the delivery record -----------------------------------------------------------------------------------

def test_each_attempt_is_on_the_record_and_a_failed_message_can_be_resent(app, fake_clock, monkeypatch):
    [queued] = enqueue_to("customer_notice", "sms", "+8613900000001", "[Y-2026-000001] Notice", "x", "rec")
    db.session.commit()
    message = db.session.get(OutboxMessage, queued.id)
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due()
        fake_clock.advance(minutes=15)
    assert (message.state, message.sent_at) == ("failed", None)

    with pytest.raises(Conflict):
        delivery.resend(staff("admin"), db.session.get(OutboxMessage, delivery_alert_id()))  # still pending
    delivery.resend(staff("admin"), message)
    assert (message.state, message.attempts) == ("pending", 0)
    monkeypatch.setattr("notifications.sms.send", lambda m: None)  # the gateway is back
    delivery.deliver_due()
    lines = [(a.outcome, a.error, a.actor.username if a.actor else None) for a in message.attempts_made]
    assert lines[:2] == [("error", "SMS_HTTP_URL is not set", None)] * 2
    assert lines[-2:] == [("resend", None, "admin"), ("sent", None, None)]
    assert len(lines) == delivery.MAX_ATTEMPTS + 2
    assert (message.state, message.sent_at) == ("sent", fake_clock.now())
    with pytest.raises(Conflict, match="only a failed message"):
        delivery.resend(staff("admin"), message)
    db.session.delete(message.attempts_made[0])
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


def delivery_alert_id() -> int:
    return db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.event == delivery.ALERT_EVENT,
                                                            OutboxMessage.state == "pending"))


def test_a_delivery_line_is_never_changed(app, fake_clock):
    [message] = enqueue_to("customer_notice", "sms", "+8613900000001", "s", "x", "rec")
    db.session.commit()
    delivery.deliver_due()
    line = db.session.scalar(select(DeliveryAttempt))
    line.outcome = "sent"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
