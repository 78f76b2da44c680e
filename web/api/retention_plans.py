"""The retention plan library (engine/retention_library; 004 §五.8.5-6): the plans account managers choose from in
retention_plan, kept by supervisors within their branches. Entries are retired, never deleted."""

from flask import g

from engine.retention_library import library
from engine.retention_library.models import RetentionPlan
from web.api import blueprint, json_body
from web.api import serialize as out


def plan_body(entry: RetentionPlan, used: int | None = None, kept: int | None = None) -> dict:
    body = {"id": entry.id, "code": entry.code, "name": entry.name_en, "name_zh": entry.name_zh,
            "description": entry.description_en, "description_zh": entry.description_zh, "active": entry.active,
            "branch": entry.branch.code if entry.branch else None, "changed_by": out.username(entry.changed_by),
            "changed_at": out.when(entry.changed_at)}
    return body if used is None else {**body, "used": used, "kept": kept}


@blueprint.get("/retention-plans")
def list_retention_plans():
    """The library's entries the caller maintains (the company's and their branches'), active first, each with how
    often closed plans of the caller's branches used it and kept the customer (supervisors, admins).
    ---
    get:
      tags: [churn]
      responses:
        200: {description: the entries with used and kept}
    """
    return {"retention_plans": [plan_body(*row) for row in library.listing(g.actor)]}


@blueprint.post("/retention-plans")
def create_retention_plan():
    """Add an entry; ``branch`` (a branch code) scopes it, none makes it the company's (headquarters only).
    ---
    post:
      tags: [churn]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [code, name_en, name_zh]
              properties:
                code: {type: string, pattern: "^[a-z][a-z0-9_]{1,63}$"}
                name_en: {type: string, maxLength: 200}
                name_zh: {type: string, maxLength: 200}
                description_en: {type: string, maxLength: 2000}
                description_zh: {type: string, maxLength: 2000}
                active: {type: boolean}
                branch: {type: string}
      responses:
        201: {description: the entry}
        409: {description: the code is taken}
    """
    return plan_body(library.create(g.actor, json_body())), 201


@blueprint.get("/retention-plans/<int:plan_id>")
def show_retention_plan(plan_id: int):
    """One entry.
    ---
    get:
      tags: [churn]
      parameters: [{in: path, name: plan_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the entry}
    """
    return plan_body(library.get(g.actor, plan_id))


@blueprint.patch("/retention-plans/<int:plan_id>")
def update_retention_plan(plan_id: int):
    """Change an entry's names, descriptions or ``active`` (false retires it, true offers it again).
    ---
    patch:
      tags: [churn]
      parameters: [{in: path, name: plan_id, required: true, schema: {type: integer}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                name_en: {type: string, maxLength: 200}
                name_zh: {type: string, maxLength: 200}
                description_en: {type: string, maxLength: 2000}
                description_zh: {type: string, maxLength: 2000}
                active: {type: boolean}
      responses:
        200: {description: the entry}
        409: {description: "a company's entry, changed at headquarters or a provincial branch only"}
    """
    return plan_body(library.update(g.actor, plan_id, json_body()))


@blueprint.post("/retention-plans/<int:plan_id>/retire")
def retire_retention_plan(plan_id: int):
    """Retire an entry: no longer offered; closed plans keep naming it.
    ---
    post:
      tags: [churn]
      parameters: [{in: path, name: plan_id, required: true, schema: {type: integer}}]
      responses:
        200: {description: the entry}
        409: {description: "a company's entry, retired at headquarters or a provincial branch only"}
    """
    return plan_body(library.retire(g.actor, plan_id))
