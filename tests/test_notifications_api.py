"""The notifications part of the REST API: outbox, delivery record, resend, test messages, templates,
preferences and duty rotas, each with its permissions and errors."""

import pytest
from openapi_spec_validator import validate as validate_openapi

from engine.db import db
from engine.directory import users
from notifications import delivery, templates
from notifications.outbox import OutboxMessage, enqueue_to
from tests.test_delivery import gateway, no_outside_settings  # noqa: F401  (fixtures)
from tests.test_sla import open_ticket

ROUTES = ("/outbox", "/outbox/{message_id}", "/outbox/{message_id}/resend", "/outbox/test",
          "/notification-templates", "/notification-templates/{event}/{lang}",
          "/notification-templates/{event}/{lang}/preview", "/users/{name}/notification-preferences",
          "/duty-rotas/{role}")


def failed_message(fake_clock) -> OutboxMessage:
    [message] = enqueue_to("customer_notice", "sms", "+8613900000001", "[Y-2026-000001] Notice", "x", "api")
    db.session.commit()
    for _ in range(delivery.MAX_ATTEMPTS):
        delivery.deliver_due()
        fake_clock.advance(minutes=15)
    return message


def test_the_openapi_document_describes_the_notification_routes(api):
    spec = api("get", "/openapi.json").json
    validate_openapi(spec)
    for path in ROUTES:
        assert path in spec["paths"], path


@pytest.mark.parametrize(("method", "path"), [
    ("get", "/outbox"), ("get", "/outbox/1"), ("post", "/outbox/1/resend"), ("post", "/outbox/test"),
    ("get", "/notification-templates"), ("get", "/notification-templates/sla_breached/en"),
    ("put", "/notification-templates/sla_breached/en"), ("post", "/notification-templates/sla_breached/en/preview"),
    ("get", "/users/agent/notification-preferences"), ("put", "/users/agent/notification-preferences"),
    ("put", "/duty-rotas/supervisor")])
def test_what_is_for_admins_is_refused_to_others(api, method, path):
    response = api(method, path, "manager", json={"channel": "sms", "subject": "x", "body": "y", "shifts": []})
    assert response.status_code == 403, response.json
    assert response.json["error"]["code"] == "forbidden"


def test_the_outbox_filters_and_shows_a_messages_attempts(api, fake_clock):
    task = open_ticket()
    number = task.ticket.number
    api("post", f"/tasks/{task.id}/assign", "supervisor", json={"username": "agent"})
    enqueue_to("customer_notice", "sms", "+8613900000001", "[x] other", "y", "other")
    db.session.commit()
    delivery.deliver_due()  # nothing is set up: every message gets one failed attempt

    listed = api("get", f"/outbox?ticket={number}&recipient=agent&channel=sms", "admin").json
    assert listed["total"] == 1
    [message] = listed["messages"]
    assert (message["event"], message["address"], message["state"], message["attempts"]) == (
        "task_assigned", "+8613800000001", "pending", 1)
    assert number in message["subject"]
    assert api("get", "/outbox?state=sent", "admin").json == {"messages": [], "total": 0}
    assert api("get", "/outbox?limit=0", "admin").status_code == 422

    shown = api("get", f"/outbox/{message['id']}", "admin").json
    assert number in shown["body"]
    assert shown["attempt_log"] == [{"at": fake_clock.now().isoformat(), "channel": "sms", "outcome": "error",
                                     "error": "SMS_HTTP_URL is not set", "by": None}]
    assert api("get", "/outbox/999999", "admin").status_code == 404


def test_a_failed_message_is_resent_once_and_the_resend_is_on_record(api, fake_clock):
    message = failed_message(fake_clock)
    response = api("post", f"/outbox/{message.id}/resend", "admin")
    assert response.status_code == 200
    assert (response.json["state"], response.json["attempts"]) == ("pending", 0)
    assert response.json["attempt_log"][-1]["outcome"] == "resend" and response.json["attempt_log"][-1]["by"] == "admin"
    again = api("post", f"/outbox/{message.id}/resend", "admin")
    assert again.status_code == 409 and "only a failed message" in again.json["error"]["message"]


def test_a_test_message_goes_out_at_once_or_says_why_not(api, fake_clock, gateway):  # noqa: F811
    sent = api("post", "/outbox/test", "admin", json={"channel": "sms"})
    assert sent.status_code == 201
    assert (sent.json["state"], sent.json["address"]) == ("sent", "+8613800000005")
    assert "测试消息" in gateway.requests[0].json["text"]

    unsent = api("post", "/outbox/test", "admin", json={"channel": "email", "address": "ops@keydesk.example"})
    assert (unsent.status_code, unsent.json["state"], unsent.json["last_error"]) == (
        201, "pending", "SMTP_HOST is not set")
    for body, field in (({"channel": "fax"}, "channel"), ({"channel": "sms", "address": "call me"}, "address")):
        wrong = api("post", "/outbox/test", "admin", json=body)
        assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["field"] == field


def test_an_admin_edits_previews_and_versions_a_template(api):
    listed = api("get", "/notification-templates", "admin").json["templates"]
    assert len(listed) == 2 * len(templates.EVENTS) and {t["version"] for t in listed} == {0}

    broken = api("put", "/notification-templates/sla_breached/en", "admin",
                 json={"subject": "{{ ticket.number }}", "body": "Ticket\n{% for x in %}"})
    assert broken.status_code == 422
    assert broken.json["error"]["details"][0] | {"message": ""} == {"field": "body", "line": 2, "message": ""}

    preview = api("post", "/notification-templates/sla_breached/en/preview", "admin",
                  json={"subject": "{{ sla.role }} now owns {{ ticket.number }}", "body": "Rung {{ sla.rung }}"})
    assert preview.json["subject"] == "supervisor now owns R-2026-000042" and preview.json["body"] == "Rung 1"

    saved = api("put", "/notification-templates/sla_breached/en", "admin",
                json={"subject": "BREACH {{ ticket.number }}", "body": "Rung {{ sla.rung }}", "comment": "short"})
    assert saved.status_code == 200
    assert (saved.json["version"], saved.json["subject"]) == (1, "BREACH {{ ticket.number }}")
    assert saved.json["default"]["subject"].startswith("[{{ ticket.number }}]")
    assert [(v["version"], v["by"], v["comment"]) for v in saved.json["versions"]] == [(1, "admin", "short")]
    assert api("post", "/notification-templates/sla_breached/en/preview", "admin").json["subject"] == \
        "BREACH R-2026-000042"
    assert api("get", "/notification-templates/birthday/en", "admin").status_code == 404
    assert api("get", "/notification-templates/sla_breached/fr", "admin").status_code == 404


def test_each_person_sets_their_own_preferences_and_an_admin_anyones(api):
    mine = api("put", "/users/me/notification-preferences", "agent",
               json={"channels": {"sla_warning": ["sms"]}, "quiet_hours": {"from": "22:00", "until": "07:00"}})
    assert mine.status_code == 200
    assert (mine.json["channels"]["sla_warning"], mine.json["quiet_hours"]) == (["sms"], {"from": "22:00",
                                                                                           "until": "07:00"})
    assert api("get", "/users/agent/notification-preferences", "admin").json == mine.json
    assert api("put", "/users/agent/notification-preferences", "admin",
               json={"quiet_hours": None}).json["quiet_hours"] is None
    wrong = api("put", "/users/me/notification-preferences", "agent", json={"channels": {"sla_warning": []}})
    assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["field"] == "channels.sla_warning"
    assert api("get", "/users/nobody/notification-preferences", "admin").status_code == 404


def test_a_supervisor_sets_the_rota_and_staff_see_who_is_on_duty(api, fake_clock):
    users.create_user("night", "demo", ["supervisor"], "Zhou Ye", "night@keydesk.example", "+8613800000006",
                      users.by_username("supervisor").branch)
    db.session.commit()
    shifts = [{"username": "night", "days": ["mon"], "from": "08:00", "until": "20:00"}]
    saved = api("put", "/duty-rotas/supervisor", "supervisor", json={"shifts": shifts})
    assert saved.status_code == 200 and saved.json["shifts"] == shifts
    assert api("get", "/duty-rotas/supervisor", "agent").json["on_duty_now"] == ["night"]  # Monday 09:00
    wrong = api("put", "/duty-rotas/supervisor", "admin", json={"shifts": [{**shifts[0], "username": "agent"}]})
    assert wrong.status_code == 422 and wrong.json["error"]["details"][0]["field"] == "shifts[0].username"
    assert api("get", "/duty-rotas/janitor", "agent").status_code == 404
