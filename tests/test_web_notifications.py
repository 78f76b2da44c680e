"""The admins' notification pages: outbox with filters, a message's attempts, resend, test messages, and the
template editor with its preview; admins only, CSRF on every form, English and Chinese."""

import pytest
from sqlalchemy import func, select

from engine import tickets
from engine.db import db
from engine.directory import users
from notifications import delivery, templates
from notifications.outbox import OutboxMessage, enqueue_to
from tests.test_delivery import gateway, no_outside_settings  # noqa: F401  (fixtures)
from tests.test_notifications_api import failed_message
from tests.test_sla import open_ticket


def text(page) -> str:
    return page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/notifications/", "/admin/notifications/templates",
                                  "/admin/notifications/templates/sla_breached/en"])
def test_the_pages_are_for_admins_only(staff, path):
    supervisor = staff("supervisor")
    assert supervisor.get(path).status_code == 403
    assert "/admin/notifications/" not in text(supervisor.get("/profile"))
    assert "/admin/notifications/" in text(staff("admin").get("/profile"))  # the admin's menu links to them


def test_the_outbox_filters_by_ticket_and_shows_a_messages_attempts(staff, fake_clock):
    task = open_ticket()
    number = task.ticket.number
    admin = staff("admin")
    tickets.assign(users.by_username("supervisor"), task.id, "agent")
    enqueue_to("customer_notice", "sms", "+8613900000001", "[G-2026-000009] other", "x", "other")
    db.session.commit()
    delivery.deliver_due()

    page = text(admin.get(f"/admin/notifications/?ticket={number}"))
    assert page.count('data-state="pending"') == 2 and "G-2026-000009" not in page  # email and SMS to the agent
    message_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.channel == "sms",
                                                                  OutboxMessage.event == "task_assigned"))
    shown = text(admin.get(f"/admin/notifications/{message_id}"))
    assert number in shown and "SMS_HTTP_URL is not set" in shown and 'data-testid="resend"' not in shown


def test_a_failed_message_is_sent_again_from_its_page(staff, fake_clock):
    message = failed_message(fake_clock)
    admin = staff("admin")
    assert 'data-testid="resend"' in text(admin.get(f"/admin/notifications/{message.id}"))
    assert admin.client.post(f"/admin/notifications/{message.id}/resend").status_code == 400  # no CSRF token
    assert db.session.get(OutboxMessage, message.id).state == "failed"
    response = admin.post(f"/admin/notifications/{message.id}/resend", follow_redirects=True)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).state == "pending"
    assert "queued again" in text(response) and "resend (admin)" in text(response)


def test_a_test_sms_goes_out_from_the_outbox_page(staff, gateway):  # noqa: F811
    admin = staff("admin")
    response = admin.post("/admin/notifications/test", data={"channel": "sms"}, follow_redirects=True)
    assert "Test message sent to +8613800000005" in text(response)
    assert len(gateway.requests) == 1
    failed = admin.post("/admin/notifications/test", data={"channel": "email"}, follow_redirects=True)
    assert "SMTP_HOST is not set" in text(failed)


def test_the_editor_previews_refuses_a_broken_template_and_saves_versions(staff):
    admin = staff("admin")
    url = "/admin/notifications/templates/sla_breached/zh_CN"
    assert "R-2026-000042" in text(admin.get(url))  # the template in force, previewed with sample data

    preview = admin.post(url, data={"action": "preview", "subject": "{{ ticket.number }} 第{{ sla.rung }}级",
                                    "body": "请处理"})
    assert preview.status_code == 200 and "R-2026-000042 第1级" in text(preview)

    broken = admin.post(url, data={"action": "save", "subject": "x", "body": "one\ntwo {{ sla.rung + }}"})
    assert broken.status_code == 422 and "the body template, line 2" in text(broken)
    assert db.session.scalar(select(func.count()).select_from(templates.MessageTemplate)) == 0

    saved = admin.post(url, data={"action": "save", "subject": "{{ ticket.number }} 超时", "body": "请处理",
                                  "comment": "shorter"}, follow_redirects=True)
    assert "shorter" in text(saved) and templates.current("sla_breached", "zh_CN")[2] == 1


def test_the_pages_speak_chinese_to_a_chinese_admin(staff):
    users.by_username("admin").locale = "zh_CN"
    db.session.commit()
    page = text(staff("admin").get("/admin/notifications/"))
    assert "发件箱" in page and "发送测试短信" in page
