"""Admins keep the organisation in step: create, rename and move branches, and deactivate them (never delete).

A branch's level follows from its parent (none: headquarters; under headquarters: a province; under
a province: a city), and a move keeps the level, so the new parent must be of the level above. That
rule alone keeps the tree free of cycles: a branch can never sit under one of its own branches.
"""

from sqlalchemy import select

from engine import fields
from engine.customers import saved
from engine.db import db
from engine.directory import branches, changes, permissions
from engine.directory.branches import PARENT_LEVEL
from engine.errors import InvalidInput
from engine.models import Branch, Ticket, User

LEVEL_BELOW = {parent: level for level, parent in PARENT_LEVEL.items()}


def active_branch(code) -> Branch:
    """The active branch of that code, or fields.Wrong naming it (for the fields of a user, a customer, a move)."""
    branch = db.session.scalar(select(Branch).where(Branch.code == code)) if isinstance(code, str) else None
    if branch is None:
        raise fields.Wrong(f"no branch {code}", f"没有分支机构 {code}")
    if not branch.active:
        raise fields.Wrong(f"branch {code} is deactivated", f"分支机构 {code} 已停用")
    return branch


def _optional_parent(code) -> Branch | None:
    return None if code in (None, "") else active_branch(code)


def _new_code(code) -> str:
    code = fields.text(required=True, limit=32)(code)
    if db.session.scalar(select(Branch.id).where(Branch.code == code)) is not None:
        raise fields.Wrong(f"branch {code} exists already", f"分支机构 {code} 已存在")
    return code


NEW = {"code": _new_code, "name": fields.text(required=True, limit=128), "parent": _optional_parent}
EDITABLE = {"name": NEW["name"], "parent": _optional_parent, "active": fields.flag}


def create(actor: User, body: dict) -> Branch:
    """A new branch under ``parent`` (a branch code; none for headquarters); its level follows from the parent."""
    permissions.require(actor, "administer")
    with saved():
        values = fields.checked(NEW, fields.complete(body, NEW), "branch")
        level = LEVEL_BELOW.get(values["parent"].level if values["parent"] else None)
        if level is None:
            raise _refused("parent", "a city branch has no branches below it", "城市分公司下不能再设分支机构")
        branch = branches.create(values["code"], values["name"], level, values["parent"])
        for field in ("code", "name", "parent"):
            changes.record(actor, "branch", branch.code, field, None, _code_of(values[field]) if field == "parent"
                           else values[field])
        return branch


def update(actor: User, code: str, body: dict) -> Branch:
    """Rename, move under another branch of the level above, deactivate or reactivate."""
    permissions.require(actor, "administer")
    with saved():
        branch = branches.by_code(code)
        values = fields.checked(EDITABLE, body, "branch change")
        if "parent" in values:
            _check_move(branch, values["parent"])
        if values.get("active") is False and branch.active:
            _check_idle(branch)
        for field, new in values.items():
            old = getattr(branch, field)
            if old != new:
                setattr(branch, field, new)
                changes.record(actor, "branch", branch.code, field, _code_of(old), _code_of(new))
        return branch


def _check_move(branch: Branch, parent: Branch | None) -> None:
    wanted = PARENT_LEVEL[branch.level]
    if (parent.level if parent else None) != wanted:
        raise _refused("parent", f"a {branch.level} branch sits under " + (f"a {wanted} branch" if wanted else
                                                                           "no other branch"),
                       f"{branch.level} 级分支机构只能设在 {wanted or '（无）'} 级分支机构之下")


def _check_idle(branch: Branch) -> None:
    """Refuse to deactivate a branch that still has active people, open tickets or active branches below."""
    people = list(db.session.scalars(select(User.username).where(User.branch_id == branch.id, User.active)))
    tickets = list(db.session.scalars(select(Ticket.number).where(Ticket.branch_id == branch.id,
                                                                  Ticket.status == "open")))
    below = list(db.session.scalars(select(Branch.code).where(Branch.parent_id == branch.id, Branch.active)))
    hanging = [(what, what_zh, names) for what, what_zh, names in (
        ("active users", "在职用户", people), ("open tickets", "未结工单", tickets),
        ("active branches below", "下级在用分支机构", below)) if names]
    if hanging:
        listed = "; ".join(f"{len(names)} {what}: {', '.join(names[:10])}" for what, _, names in hanging)
        listed_zh = "；".join(f"{what_zh} {len(names)} 个：{', '.join(names[:10])}" for _, what_zh, names in hanging)
        raise _refused("active", f"branch {branch.code} still has {listed}", f"分支机构 {branch.code} 仍有{listed_zh}")


def _refused(field: str, message: str, message_zh: str) -> InvalidInput:
    return InvalidInput(f"the branch has wrong values: {field}: {message}",
                        [fields.problem(field, message, message_zh)])


def _code_of(value):
    return value.code if isinstance(value, Branch) else value

