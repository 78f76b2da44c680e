"""Importing users (admins only): a new user gets a one-time password, shown once in the commit's answer."""

import re

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.orm import aliased

from engine import fields
from engine.db import db
from engine.directory import changes, roles, users
from engine.imports import checks
from engine.imports.checks import Row, code
from engine.imports.columns import Column
from engine.imports.scope import Scope
from engine.models import Branch, User, UserRole

COLUMNS = (Column("username", "用户名", required=True), Column("display_name", "姓名"), Column("email", "邮箱"),
           Column("phone", "手机"), Column("branch", "所属机构"), Column("roles", "角色", required=True),
           Column("locale", "语言"))
KEY = "username"
ADMIN_ONLY = True
LOCALES = ("en", "zh_CN")
SEPARATORS = re.compile(r"[\s,;，；、]+")  # roles are listed with any of these between them
FIELDS = ("display_name", "email", "phone", "locale")


def states(keys: list[str]) -> dict[str, dict]:
    branch = aliased(Branch)
    query = (select(User.id, User.username, User.display_name, User.email, User.phone, User.locale,
                    branch.code.label("branch")).outerjoin(branch, User.branch_id == branch.id)
             .where(User.username.in_(keys)))
    found = {row.username: {**row._asdict(), "roles": []} for row in db.session.execute(query)}
    by_id = {state["id"]: state for state in found.values()}
    for user_id, role in db.session.execute(select(UserRole.user_id, UserRole.role).where(
            UserRole.user_id.in_(list(by_id))).order_by(UserRole.role)):
        by_id[user_id]["roles"].append(role)
    for state in found.values():
        state["roles"] = " ".join(state["roles"])
    return found


def listed(scope: Scope) -> Select:
    return select(User.username).order_by(User.username)


def cells(state: dict) -> list:
    return checks.cells(COLUMNS, state)


def check(scope: Scope, values: dict[str, str], state: dict | None) -> Row:
    row = Row(values)
    row.take("username", code(64))
    row.take("display_name", fields.text(limit=128), empty=values["username"])  # as create_user names them
    row.take("email", fields.email)
    row.take("phone", fields.phone)
    row.take("branch", lambda value: _branch(scope, value, state and state["branch"]), empty=None)
    row.take("roles", _roles)
    row.take("locale", fields.choice(LOCALES), empty="en")
    return row


def _branch(scope: Scope, code: str, current: str | None) -> str:
    scope.usable_branch(code, current)
    return code


def _roles(value: str) -> str:
    """Roles as the state keeps them: known ones, sorted, separated by a space."""
    given = {role for role in SEPARATORS.split(value) if role}
    if not given:
        raise fields.Wrong("at least one role", "至少一个角色")
    known = sorted(roles.active_keys())
    unknown = given - set(known)
    if unknown:
        listed = ", ".join(known)
        raise fields.Wrong(f"unknown roles {', '.join(sorted(unknown))}: one of {listed}",
                           f"未知角色 {', '.join(sorted(unknown))}：应为 {listed} 之一")
    return " ".join(sorted(given))


def differences(clean: dict, state: dict) -> dict:
    return checks.changed(clean, state)


def write(scope: Scope, rows: list, states: dict[str, dict], reason: str) -> list[dict]:
    """New users with a one-time password each (only its hash is kept); changed users updated, roles replaced;
    each field in the directory's audit trail, as an admin's change is."""
    passwords, audit = [], []
    for row in rows:
        values = row.values
        audit += [changes.entry(scope.actor, "user", row.key, field, _listed(field, old), _listed(field, new))
                  for field, (old, new) in differences(values, {} if row.action == "new" else states[row.key]).items()]
        branch_id = scope.branch(values["branch"]).id if values.get("branch") else None
        if row.action == "new":
            # as an admin's create: the one-time password is the only hash computed (scrypt is slow on purpose)
            user = User(username=row.key, display_name=values.get("display_name") or row.key,
                        email=values.get("email"), phone=values.get("phone"),
                        branch=db.session.get(Branch, branch_id) if branch_id else None,
                        locale=values.get("locale") or "en",
                        roles=[UserRole(role=role) for role in values["roles"].split()])
            password = users.one_time_password(user)  # to be changed at the first sign-in
            db.session.add(user)
            passwords.append({"username": row.key, "password": password})
            continue
        user_id = states[row.key]["id"]
        columns = {key: values[key] for key in FIELDS if key in values}
        if "branch" in values:
            columns["branch_id"] = branch_id
        if columns:
            db.session.execute(update(User).where(User.id == user_id).values(**columns))
        if values["roles"] != states[row.key]["roles"]:
            db.session.execute(delete(UserRole).where(UserRole.user_id == user_id))
            db.session.execute(insert(UserRole), [{"user_id": user_id, "role": role}
                                                  for role in values["roles"].split()])
    changes.record_all(audit)
    db.session.flush()
    return passwords


def _listed(field: str, value):
    """Roles as a list, which the audit trail shows as an admin's change shows them."""
    return value.split() if field == "roles" and value is not None else value
