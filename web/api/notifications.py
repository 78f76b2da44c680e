"""Notifications: the outbox and its delivery record, test messages, templates (admins); each person's
preferences (themself, or anyone for an admin); duty rotas (read by staff, set by supervisors and admins)."""

from flask import g, request

from engine.db import db
from engine.directory import permissions, users
from engine.errors import NotFound
from notifications import delivery, outbox, preferences, rota, templates
from notifications.outbox import OutboxMessage
from web.api import blueprint, int_arg, json_body
from web.api.serialize import username, when


def _message(m: OutboxMessage, full: bool = False) -> dict:
    body = {"id": m.id, "event": m.event, "channel": m.channel, "address": m.address,
            "recipient": username(m.recipient), "ticket": m.ticket.number if m.ticket else None,
            "subject": m.subject, "state": m.state,
            "held": m.state == "pending" and m.next_attempt_at > m.created_at and m.attempts == 0,
            "attempts": m.attempts, "created_at": when(m.created_at), "next_attempt_at": when(m.next_attempt_at),
            "sent_at": when(m.sent_at), "last_error": m.last_error}
    if full:
        body["body"] = m.body
        body["attempt_log"] = [{"at": when(a.at), "channel": a.channel, "outcome": a.outcome, "error": a.error,
                                "by": username(a.actor)} for a in m.attempts_made]
    return body


def _admin_message(message_id: int) -> OutboxMessage:
    permissions.require(g.actor, "configure")
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}")
    return message


@blueprint.get("/outbox")
def list_outbox():
    """Queued, sent and failed messages, newest first (admins).
    ---
    get:
      tags: [notifications]
      parameters:
        - {in: query, name: state, schema: {type: string, enum: [pending, sent, failed]}}
        - {in: query, name: channel, schema: {type: string, enum: [email, sms]}}
        - {in: query, name: event, schema: {type: string}}
        - {in: query, name: recipient, schema: {type: string}, description: a username}
        - {in: query, name: ticket, schema: {type: string, example: R-2026-000042}}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 500}}
        - {in: query, name: offset, schema: {type: integer, minimum: 0}}
      responses:
        200: {description: "{messages, total}"}
    """
    permissions.require(g.actor, "configure")
    found, total = outbox.search({name: request.args.get(name, "") for name in outbox.FILTERS},
                                 limit=int_arg("limit", 100, 1, 500), offset=int_arg("offset", 0, 0, 10**9))
    return {"messages": [_message(m) for m in found], "total": total}


@blueprint.get("/outbox/<int:message_id>")
def show_message(message_id: int):
    """One message with its body and every delivery attempt, error and resend (admins).
    ---
    get:
      tags: [notifications]
      parameters: [{in: path, name: message_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the message}
    """
    return _message(_admin_message(message_id), full=True)


@blueprint.post("/outbox/<int:message_id>/resend")
def resend_message(message_id: int):
    """Send a failed message again (admins): it is pending once more, and the resend is on its record.
    ---
    post:
      tags: [notifications]
      parameters: [{in: path, name: message_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the message}
    """
    return _message(delivery.resend(g.actor, _admin_message(message_id)), full=True)


@blueprint.post("/outbox/test")
def send_test_message():
    """Send a test message on one channel now (admins), to your own address or the one given.
    ---
    post:
      tags: [notifications]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [channel]
              properties:
                channel: {type: string, enum: [email, sms]}
                address: {type: string}
      responses:
        201: {description: "the message: state sent, or pending with the peer's answer in last_error"}
    """
    body = json_body()
    return _message(delivery.send_test(g.actor, body.get("channel"), body.get("address")), full=True), 201


def _template(event: str, lang: str, with_versions: bool = False) -> dict:
    subject, body, version = templates.current(event, lang)
    found = {"event": event, "language": lang, "version": version, "subject": subject, "body": body}
    if with_versions:
        default = templates.DEFAULTS[event][lang]
        found["default"] = {"subject": default[0], "body": default[1]}
        found["versions"] = [{"version": v.version, "subject": v.subject, "body": v.body, "comment": v.comment,
                              "by": username(v.created_by), "at": when(v.created_at)}
                             for v in templates.versions(event, lang)]
    return found


@blueprint.get("/notification-templates")
def list_templates():
    """The template in force for every event and language (admins); version 0 is the shipped default.
    ---
    get:
      tags: [notifications]
      responses:
        200: {description: the templates}
    """
    permissions.require(g.actor, "configure")
    return {"templates": [_template(e, lang) for e in templates.EVENTS for lang in templates.LANGUAGES]}


@blueprint.get("/notification-templates/<event>/<lang>")
def show_template(event: str, lang: str):
    """One event's template in one language, with the default and every saved version (admins).
    ---
    get:
      tags: [notifications]
      parameters:
        - {in: path, name: event, required: true, schema: {type: string}}
        - {in: path, name: lang, required: true, schema: {type: string, enum: [zh_CN, en]}}
      responses:
        200: {description: the template}
    """
    permissions.require(g.actor, "configure")
    templates.versions(event, lang)  # a 404 for an unknown event or language
    return _template(event, lang, with_versions=True)


@blueprint.put("/notification-templates/<event>/<lang>")
def update_template(event: str, lang: str):
    """Save a new version (admins). A template that does not render is refused with the part and line.
    ---
    put:
      tags: [notifications]
      parameters:
        - {in: path, name: event, required: true, schema: {type: string}}
        - {in: path, name: lang, required: true, schema: {type: string, enum: [zh_CN, en]}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [subject, body]
              properties:
                subject: {type: string, example: "[{{ ticket.number }}] {{ task.name }}"}
                body: {type: string}
                comment: {type: string}
      responses:
        200: {description: the template with its versions}
    """
    body = json_body()
    templates.save(g.actor, event, lang, body.get("subject"), body.get("body"), body.get("comment", ""))
    return _template(event, lang, with_versions=True)


@blueprint.post("/notification-templates/<event>/<lang>/preview")
def preview_template(event: str, lang: str):
    """Render the template in force, or the subject/body given, with sample data (admins).
    ---
    post:
      tags: [notifications]
      parameters:
        - {in: path, name: event, required: true, schema: {type: string}}
        - {in: path, name: lang, required: true, schema: {type: string, enum: [zh_CN, en]}}
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {subject: {type: string}, body: {type: string}}}
      responses:
        200: {description: the rendered subject and body}
    """
    permissions.require(g.actor, "configure")
    body = json_body() if request.content_length else {}
    return templates.preview(event, lang, body.get("subject"), body.get("body"))


def _person(name: str):
    return g.actor if name == "me" else users.by_username(name)


@blueprint.get("/users/<name>/notification-preferences")
def show_preferences(name: str):
    """A person's channels per event and quiet hours: your own (`me`), or anyone's for an admin.
    ---
    get:
      tags: [notifications]
      parameters: [{in: path, name: name, required: true, schema: {type: string}, description: a username or me}]
      responses:
        200: {description: the preferences}
    """
    person = _person(name)
    if person.id != g.actor.id:
        permissions.require(g.actor, "configure")
    return preferences.as_dict(person)


@blueprint.put("/users/<name>/notification-preferences")
def update_preferences(name: str):
    """Choose channels per event (at least one each) and quiet hours in the desk's time zone.
    ---
    put:
      tags: [notifications]
      parameters: [{in: path, name: name, required: true, schema: {type: string}, description: a username or me}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                channels: {type: object, example: {sla_warning: [sms], ticket_closed: [email]}}
                quiet_hours: {type: object, nullable: true, example: {from: "22:00", until: "07:00"}}
      responses:
        200: {description: the preferences}
    """
    person = _person(name)
    preferences.save(g.actor, person, json_body())
    return preferences.as_dict(person)


@blueprint.get("/duty-rotas/<role>")
def show_rota(role: str):
    """A role's duty rota and who is on duty now (staff).
    ---
    get:
      tags: [notifications]
      parameters: [{in: path, name: role, required: true, schema: {type: string}}]
      responses:
        200: {description: the rota}
    """
    return rota.get(role)


@blueprint.put("/duty-rotas/<role>")
def update_rota(role: str):
    """Replace a role's rota (supervisors, admins); alerts to the role go to whoever is on shift.
    ---
    put:
      tags: [notifications]
      parameters: [{in: path, name: role, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [shifts]
              properties:
                shifts:
                  type: array
                  items:
                    type: object
                    properties:
                      username: {type: string}
                      days: {type: array, items: {type: string, enum: [mon, tue, wed, thu, fri, sat, sun]}}
                      from: {type: string, example: "20:00"}
                      until: {type: string, example: "08:00"}
      responses:
        200: {description: the rota}
    """
    return rota.save(g.actor, role, json_body().get("shifts"))
