"""Versions of a process model: list, one with its diagram, diff, rollback, ticket migration, heat map.

Supervisors and admins only (the engine checks the role).
"""

from flask import g, request

from engine import migration, versions
from engine.errors import InvalidInput
from web.api import blueprint, json_body
from web.api import serialize as out

BASE = "/process-models/<key>/versions"


def _number(name: str) -> int:
    raw = request.args.get(name, "")
    if not raw.isdigit():
        raise InvalidInput(f"{name} must be a version number", [{"field": name, "message": "required, a number"}])
    return int(raw)


@blueprint.get(BASE)
def list_versions(key: str):
    """The versions of a process model with who deployed each, when, and the comment.
    ---
    get:
      tags: [versions]
      description: Supervisors and admins.
      parameters: [{in: path, name: key, required: true, schema: {type: string}}]
      responses:
        200: {description: "{versions: [{version, comment, deployed_by, deployed_at}]}"}
    """
    return {"key": key, "versions": [out.version(v) for v in versions.versions_of(g.actor, key)]}


@blueprint.get(f"{BASE}/<int:number>")
def get_version(key: str, number: int):
    """One version with its bundle: BPMN diagram, decision tables and forms (to open it in the modeller).
    ---
    get:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer}}
      responses:
        200: {description: "the version plus its bundle: bpmn_xml, dmn (the decision tables' XML) and forms by key"}
    """
    version = versions.get_version(g.actor, key, number)
    return {**out.version(version), "bpmn_xml": version.bpmn_xml, "dmn": version.dmn_xml, "forms": version.forms}


@blueprint.get("/process-models/<key>/diff")
def diff(key: str):
    """What changed between two versions, element by element, form by form and decision by decision.
    ---
    get:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: query, name: from, required: true, schema: {type: integer}}
        - {in: query, name: to, required: true, schema: {type: integer}}
      responses:
        200:
          description: >-
            added and removed elements ({id, type, name}) and changed ones with
            changes [{field, from, to}]; field is name, lane, type, condition, timer, script,
            operation, source, target, default, "property NAME" or "parameter NAME";
            forms [{key, change: added|removed|changed, fields_added, fields_removed,
            fields_changed [{field, changes [{attribute, from, to}]}], form_changed}];
            decisions [{id, change, rules_added, rules_removed, rules_changed [{id, from, to}],
            columns_changed}], a rule row being {inputs, outputs}
    """
    return versions.diff(g.actor, key, _number("from"), _number("to"))


@blueprint.post(f"{BASE}/<int:number>/rollback")
def rollback(key: str, number: int):
    """Deploy this version's content as the newest version; the comment says it is a rollback.
    ---
    post:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer}}
      requestBody:
        content: {application/json: {schema: {type: object, properties: {comment: {type: string}}}}}
      responses:
        201: {description: the new version}
    """
    body = request.get_json(silent=True) or {}
    comment = body.get("comment", "") if isinstance(body, dict) else ""
    if not isinstance(comment, str):
        raise InvalidInput("comment must be text", [{"field": "comment", "message": "not a string"}])
    return out.version(versions.rollback(g.actor, key, number, comment)), 201


MIGRATION_BODY = """
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [to]
              properties:
                to: {type: integer, description: the version to move to}
                mapping: {type: object, additionalProperties: {type: string},
                          description: "old element id -> new element id, for steps the new version removed"}
                tickets: {type: array, items: {type: integer}, description: only these tickets (default all open)}
"""


def _migration_args(key: str, number: int) -> dict:
    body = json_body()
    if not isinstance(body.get("to"), int):
        raise InvalidInput("say which version to move to", [{"field": "to", "message": "required, a number"}])
    return {"key": key, "old": number, "new": body["to"], "mapping": body.get("mapping"),
            "ticket_ids": body.get("tickets")}


@blueprint.post(f"{BASE}/<int:number>/migration/check")
def migration_check(key: str, number: int):
    """Dry run: which open tickets of this version can move to another, and why the rest cannot.
    ---
    post:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer}}
    %s
      responses:
        200: {description: "{movable: [ticket], refused: [ticket with reasons [{element_id, reason, reason_zh}]]}"}
    """
    return migration.check(g.actor, **_migration_args(key, number))


@blueprint.post(f"{BASE}/<int:number>/migration")
def migrate(key: str, number: int):
    """Move the open tickets of this version to another; each ticket moves whole or not at all.
    ---
    post:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer}}
    %s
      responses:
        200: {description: "{migrated: [ticket], refused: [ticket with reasons]}"}
    """
    return migration.migrate(g.actor, **_migration_args(key, number))


migration_check.__doc__ %= MIGRATION_BODY
migrate.__doc__ %= MIGRATION_BODY


@blueprint.get(f"{BASE}/<int:number>/heatmap")
def heatmap(key: str, number: int):
    """Per element of a version: open tickets there now and SLA clocks breached there.
    ---
    get:
      tags: [versions]
      parameters:
        - {in: path, name: key, required: true, schema: {type: string}}
        - {in: path, name: number, required: true, schema: {type: integer}}
      responses:
        200: {description: "{elements: [{element_id, open_tickets, waiting_timers, breached}]}"}
    """
    return versions.heatmap(g.actor, key, number)
