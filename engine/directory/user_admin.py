"""Admins keep the staff list: create accounts with a one-time password, change them, deactivate them.

Every change is audited field by field (engine.directory.changes). A deactivated user cannot sign
in or use a token, and the tasks they held go back to their role's queue with a line in each
ticket's history, so no work waits on someone who has left.
"""

import re

from sqlalchemy import select

from engine import audit, clock, fields
from engine.customers import saved
from engine.db import db
from engine.directory import branches, changes, permissions, roles, users
from engine.directory.branch_admin import active_branch
from engine.errors import InvalidInput
from engine.live import events as live
from engine.models import ACTIVE_TASK_STATES, Branch, HumanTask, User, UserRole

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}$")
LOCALES = ("en", "zh_CN")


def listing() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.active.desc(), User.username)))


def _new_username(value) -> str:
    if not isinstance(value, str) or not USERNAME.match(value):
        raise fields.Wrong("must be 2 to 64 letters, digits or _ . @ -, starting with a letter or digit",
                           "须为 2 至 64 个字母、数字或 _ . @ -，以字母或数字开头")
    if db.session.scalar(select(User.id).where(User.username == value)) is not None:
        raise fields.Wrong(f"user {value} exists already", f"用户 {value} 已存在")
    return value


def _role_keys(value) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fields.Wrong("must be a list of role keys", "须为角色代码的列表")
    unknown = sorted(set(value) - roles.active_keys())
    if unknown:
        listed = ", ".join(unknown)
        raise fields.Wrong(f"unknown or retired roles: {listed}", f"未知或已停用的角色：{listed}")
    return sorted(set(value))


def _optional_branch(code):
    return None if code in (None, "") else active_branch(code)


def _sign_in_via(value) -> str:
    """local: KeyDesk's own password; ldap: the operator's directory checks it (engine.directory.ldap_signin)."""
    return "local" if value in (None, "") else fields.choice(("local", "ldap"))(value)


def _locale(value) -> str:
    return "en" if value in (None, "") else fields.choice(LOCALES)(value)


NEW = {"username": _new_username, "display_name": fields.text(required=True, limit=128), "email": fields.email,
       "phone": fields.phone, "branch": _optional_branch, "roles": _role_keys, "locale": _locale,
       "sign_in_via": _sign_in_via}
EDITABLE = {**{k: v for k, v in NEW.items() if k != "username"}, "active": fields.flag}


def create(actor: User, body: dict) -> tuple[User, str | None]:
    """A new account and its one-time password, which is shown once and must be changed at first sign-in
    (none for a user who signs in through the directory)."""
    permissions.require(actor, "administer")
    with saved():
        values = fields.checked(NEW, fields.complete(body, NEW), "user")
        user = User(username=values["username"], display_name=values["display_name"], email=values["email"],
                    phone=values["phone"], branch=values["branch"], locale=values["locale"],
                    sign_in_via=values["sign_in_via"], roles=[UserRole(role=role) for role in values["roles"]],
                    password_hash="", must_change_password=False)
        password = users.one_time_password(user) if user.sign_in_via == "local" else None
        db.session.add(user)
        for field, value in values.items():
            changes.record(actor, "user", user.username, field, None, _shown(value))
        return user, password


def create_first_admin(username: str) -> tuple[User, str]:
    """An admin made from the command line (no actor): placed at headquarters, which is created as ``HQ`` when
    the database has no branch yet."""
    with saved():
        values = fields.checked({"username": _new_username}, {"username": username}, "user")
        root = db.session.scalar(select(Branch).where(Branch.parent_id.is_(None), Branch.active).order_by(Branch.id))
        if root is None:
            root = branches.create("HQ", "Headquarters", "hq")
            changes.record(None, "branch", "HQ", "code", None, "HQ")
        user = User(username=values["username"], display_name=values["username"], branch=root,
                    roles=[UserRole(role="admin")])
        password = users.one_time_password(user)
        db.session.add(user)
        for field, value in (("username", user.username), ("branch", root.code), ("roles", "admin")):
            changes.record(None, "user", user.username, field, None, value)
        return user, password


def update(actor: User, username: str, body: dict) -> User:
    """Change an account's fields; ``active: false`` deactivates it and gives its tasks back to their queues."""
    permissions.require(actor, "administer")
    with saved():
        user = users.by_username(username)
        values = fields.checked(EDITABLE, body, "user change")
        if values.get("active") is False and user.id == actor.id:
            raise InvalidInput("you cannot deactivate yourself", [fields.problem(
                "active", "you cannot deactivate yourself", "不能停用自己的账号")])
        for field, new in values.items():
            old = sorted(user.role_names) if field == "roles" else getattr(user, field)
            if old == new:
                continue
            if field == "roles":
                user.roles = [UserRole(role=role) for role in new]
            else:
                setattr(user, field, new)
            changes.record(actor, "user", user.username, field, _shown(old), _shown(new))
        if values.get("active") is False:
            _release_tasks(actor, user)
            users.revoke_tokens(user)
        return user


def reset_password(actor: User, username: str) -> str:
    """A new one-time password for a user who forgot theirs; their tokens stop working until they change it."""
    permissions.require(actor, "administer")
    with saved():
        user = users.by_username(username)
        password = users.one_time_password(user)
        changes.record(actor, "user", user.username, "password", None, "one-time password issued")
        return password


def revoke_tokens(actor: User, username: str) -> int:
    """Revoke all of a user's API tokens; how many were live."""
    permissions.require(actor, "administer")
    with saved():
        user = users.by_username(username)
        count = users.revoke_tokens(user)
        changes.record(actor, "user", user.username, "tokens", f"{count} live", "revoked")
        return count


def _release_tasks(actor: User, user: User) -> None:
    """The user's active tasks go back to their role's queue, with a history line on each ticket."""
    held = db.session.scalars(select(HumanTask).where(HumanTask.assignee_id == user.id,
                                                      HumanTask.state.in_(ACTIVE_TASK_STATES)))
    for task in held:
        task.assignee, task.state, task.claimed_at = None, "open", None
        task.ticket.updated_at = clock.now()  # the ticket row is written: lock_version moves, a racing step loses
        audit.record(task.ticket, actor, "unclaimed", task, previous=user.username, reason="user deactivated")
        live.emit("queued", task, actor)


def _shown(value):
    """A value as the audit trail keeps it: a branch by its code."""
    return getattr(value, "code", value)

