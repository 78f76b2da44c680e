"""SLA policies and business calendars: staff read them, admins change them."""

from flask import g

from engine import clock, sla_config
from web.api import blueprint, json_body
from web.api import serialize as out


@blueprint.get("/sla-policies")
def list_policies():
    """SLA policies: targets by process, step, channel, priority, fault level and customer tier.
    ---
    get:
      tags: [sla]
      responses:
        200: {description: the policies}
    """
    return {"sla_policies": [out.policy(p) for p in sla_config.policies()]}


@blueprint.post("/sla-policies")
def create_policy():
    """Add a policy (admins). The most specific active policy that matches a task wins.
    ---
    post:
      tags: [sla]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string}
                process_key: {type: string}
                element_id: {type: string, description: "a task's element id, or 'ticket' for the ticket's clock"}
                channel: {type: string, enum: [green, yellow, red]}
                priority: {type: string, enum: [low, normal, high, urgent]}
                fault_level: {type: integer}
                customer_tier: {type: string, enum: [A+, A, B, C]}
                response: {type: string, example: PT10M}
                resolution: {type: string, example: PT4H}
                warn_percent: {type: integer}
                calendar: {type: string}
                escalate_to: {type: string, example: "supervisor,admin"}
                active: {type: boolean}
      responses:
        201: {description: the policy}
    """
    return out.policy(sla_config.save_policy(g.actor, json_body())), 201


@blueprint.put("/sla-policies/<int:policy_id>")
def update_policy(policy_id: int):
    """Change a policy's fields (admins).
    ---
    put:
      tags: [sla]
      parameters: [{in: path, name: policy_id, required: true, schema: {type: integer}}]
      requestBody: {required: true, content: {application/json: {schema: {type: object}}}}
      responses:
        200: {description: the policy}
    """
    return out.policy(sla_config.save_policy(g.actor, json_body(), policy_id))


@blueprint.get("/calendars")
def list_calendars():
    """Business calendars, with the years whose public holidays nobody has entered yet.
    ---
    get:
      tags: [sla]
      responses:
        200: {description: the calendars}
    """
    year = clock.now().year
    return {"calendars": [out.calendar(r, sla_config.calendar_named(r.name).missing_years([year, year + 1]))
                          for r in sla_config.calendar_records()]}


@blueprint.put("/calendars/<name>")
def put_calendar(name: str):
    """Create or replace a calendar (admins).
    ---
    put:
      tags: [sla]
      parameters: [{in: path, name: name, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                timezone: {type: string, example: Asia/Shanghai}
                hours: {type: object, example: {mon: ["08:30-12:00", "13:30-17:30"]}}
                china_holidays: {type: boolean}
      responses:
        200: {description: the calendar}
    """
    record = sla_config.save_calendar(g.actor, name, json_body())
    return out.calendar(record, sla_config.calendar_named(name).missing_years([clock.now().year]))


@blueprint.post("/calendars/<name>/days")
def add_calendar_day(name: str):
    """Enter a holiday or a make-up working day (admins).
    ---
    post:
      tags: [sla]
      parameters: [{in: path, name: name, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [day, kind]
              properties:
                day: {type: string, format: date}
                kind: {type: string, enum: [holiday, workday]}
                note: {type: string}
      responses:
        201: {description: the day}
    """
    body = json_body()
    entry = sla_config.add_day(g.actor, name, body.get("day"), body.get("kind"), body.get("note", ""))
    return {"day": entry.day.isoformat(), "kind": entry.kind, "note": entry.note}, 201
