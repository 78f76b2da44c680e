"""Administration of the directory: branches, roles and users, and the audit trail of their changes (admins only)."""

from flask import g, request

from engine.directory import branch_admin, changes, permissions, roles, user_admin
from web.api import blueprint, int_arg, json_body
from web.api import serialize as out


def _admin():
    """The caller, if an admin: even the lists of people and branches are for admins only."""
    permissions.require(g.actor, "administer")
    return g.actor


@blueprint.post("/branches")
def create_branch():
    """Create a branch under `parent` (a branch code; none for headquarters); its level follows from the parent.
    ---
    post:
      tags: [directory]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [code, name]
              properties: {code: {type: string}, name: {type: string}, parent: {type: string, nullable: true}}
      responses:
        201: {description: the branch}
    """
    return out.branch(branch_admin.create(_admin(), json_body())), 201


@blueprint.patch("/branches/<code>")
def update_branch(code: str):
    """Rename, move under another branch (of the level above) or deactivate a branch; never deleted.
    Deactivation is refused while active users, open tickets or active branches hang on it.
    ---
    patch:
      tags: [directory]
      parameters: [{in: path, name: code, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties: {name: {type: string}, parent: {type: string, nullable: true}, active: {type: boolean}}
      responses:
        200: {description: the branch}
    """
    return out.branch(branch_admin.update(_admin(), code, json_body()))


@blueprint.get("/roles")
def list_roles():
    """The roles staff hold and lanes name, active ones first.
    ---
    get:
      tags: [directory]
      responses:
        200: {description: the roles}
    """
    _admin()
    return {"roles": [out.role(r) for r in roles.listing()]}


@blueprint.post("/roles")
def create_role():
    """Add a role; a diagram's lane may name it from then on.
    ---
    post:
      tags: [directory]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [key, name, name_zh]
              properties: {key: {type: string, example: finance}, name: {type: string}, name_zh: {type: string}}
      responses:
        201: {description: the role}
    """
    return out.role(roles.create(_admin(), json_body())), 201


@blueprint.patch("/roles/<key>")
def update_role(key: str):
    """Rename a role, or retire it (`active: false`; refused while a process in use has a lane of that name).
    ---
    patch:
      tags: [directory]
      parameters: [{in: path, name: key, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties: {name: {type: string}, name_zh: {type: string}, active: {type: boolean}}
      responses:
        200: {description: the role}
    """
    return out.role(roles.update(_admin(), key, json_body()))


@blueprint.get("/users")
def list_users():
    """Every account, active ones first.
    ---
    get:
      tags: [directory]
      responses:
        200: {description: the users}
    """
    _admin()
    return {"users": [out.user(u) for u in user_admin.listing()]}


@blueprint.post("/users")
def create_user():
    """Create an account; the answer carries its one-time password (shown once), which must be changed at
    first sign-in. Until then the user's API tokens do not work.
    ---
    post:
      tags: [directory]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              allOf:
                - {$ref: '#/components/schemas/UserFields'}
                - {type: object, required: [username, display_name], properties: {username: {type: string}}}
      responses:
        201: {description: 'the user, with `one_time_password`'}
    """
    user, password = user_admin.create(_admin(), json_body())
    return {**out.user(user), "one_time_password": password}, 201


@blueprint.patch("/users/<username>")
def update_user(username: str):
    """Change an account; `active: false` deactivates it: it can no longer sign in or use a token, and the
    tasks it held go back to their role's queue.
    ---
    patch:
      tags: [directory]
      parameters: [{in: path, name: username, required: true, schema: {type: string}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              allOf:
                - {$ref: '#/components/schemas/UserFields'}
                - {type: object, properties: {active: {type: boolean}}}
      responses:
        200: {description: the user}
    """
    return out.user(user_admin.update(_admin(), username, json_body()))


@blueprint.post("/users/<username>/password")
def reset_password(username: str):
    """Issue a new one-time password for the user (shown once; to be changed at the next sign-in).
    ---
    post:
      tags: [directory]
      parameters: [{in: path, name: username, required: true, schema: {type: string}}]
      responses:
        200: {description: '`one_time_password`'}
    """
    return {"one_time_password": user_admin.reset_password(_admin(), username)}


@blueprint.post("/users/<username>/tokens/revoke")
def revoke_tokens(username: str):
    """Revoke every API token of the user.
    ---
    post:
      tags: [directory]
      parameters: [{in: path, name: username, required: true, schema: {type: string}}]
      responses:
        200: {description: '`revoked`: how many tokens were live'}
    """
    return {"revoked": user_admin.revoke_tokens(_admin(), username)}


@blueprint.get("/directory/changes")
def list_changes():
    """The audit trail of branches, roles and users: who changed what, when, old and new values; newest first.
    ---
    get:
      tags: [directory]
      parameters:
        - {in: query, name: kind, schema: {type: string, enum: [branch, role, user]}}
        - {in: query, name: subject, schema: {type: string}, description: "a branch code, role key or username"}
        - {in: query, name: limit, schema: {type: integer, minimum: 1, maximum: 1000}}
      responses:
        200: {description: the changes}
    """
    _admin()
    found = changes.listing(request.args.get("kind"), request.args.get("subject"), int_arg("limit", 200, 1, 1000))
    return {"changes": [out.directory_change(c) for c in found]}
