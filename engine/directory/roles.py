"""Roles as data: the set of roles staff hold and lanes name, which admins extend, rename and retire.

A role is never deleted (tasks, history and reports name it); a retired role can no longer be given
to anyone or named by a new diagram's lane, and it cannot be retired while a process in use has a
lane of that name.
"""

import re

from sqlalchemy import func, select

from engine import diagrams, fields
from engine.customers import saved
from engine.db import db
from engine.directory import changes, permissions
from engine.errors import InvalidInput, NotFound
from engine.models import ProcessModel, ProcessVersion, Role, Ticket, User

KEY = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def listing() -> list[Role]:
    return list(db.session.scalars(select(Role).order_by(Role.active.desc(), Role.key)))


def active_keys() -> set[str]:
    return set(db.session.scalars(select(Role.key).where(Role.active)))


def get(key: str) -> Role:
    role = db.session.get(Role, key) if isinstance(key, str) else None
    if role is None:
        raise NotFound(f"no role {key!r}")
    return role


def _key(value) -> str:
    if not isinstance(value, str) or not KEY.match(value):
        raise fields.Wrong("must be 2 to 32 lower-case letters, digits or _, starting with a letter",
                           "须为 2 至 32 个小写字母、数字或下划线，以字母开头")
    if db.session.get(Role, value) is not None:
        raise fields.Wrong(f"role {value} exists already", f"角色 {value} 已存在")
    return value


NEW = {"key": _key, "name": fields.text(required=True, limit=64), "name_zh": fields.text(required=True, limit=64)}
EDITABLE = {"name": NEW["name"], "name_zh": NEW["name_zh"], "active": fields.flag}


def create(actor: User, body: dict) -> Role:
    """A new role; every field is required."""
    permissions.require(actor, "administer")
    with saved():
        values = fields.checked(NEW, fields.complete(body, NEW), "role")
        role = Role(**values, active=True)
        db.session.add(role)
        for field, value in values.items():
            changes.record(actor, "role", role.key, field, None, value)
        return role


def update(actor: User, key: str, body: dict) -> Role:
    """Rename or retire (``active: false``) a role; reactivating it is allowed too."""
    permissions.require(actor, "administer")
    with saved():
        role = get(key)
        values = fields.checked(EDITABLE, body, "role")
        if values.get("active") is False and role.active:
            in_use = processes_with_lane(key)
            if in_use:
                names = ", ".join(in_use)
                raise InvalidInput(f"role {key} is a lane of processes in use: {names}", [fields.problem(
                    "active", f"a lane of processes in use: {names}", f"以下在用流程有此泳道：{names}")])
        changes.apply(actor, "role", key, role, values)
        return role


def processes_with_lane(key: str) -> list[str]:
    """The processes whose newest version, or a version with open tickets, has a lane named ``key``."""
    newest = select(func.max(ProcessVersion.id)).group_by(ProcessVersion.model_id)
    running = select(Ticket.process_version_id).where(Ticket.status == "open")
    versions = db.session.execute(
        select(ProcessModel.key, ProcessVersion.bpmn_xml).join(ProcessModel)
        .where(ProcessVersion.id.in_(newest) | ProcessVersion.id.in_(running))).all()
    return sorted({model for model, xml in versions if key in diagrams.lane_names(xml)})
