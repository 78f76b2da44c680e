"""Importing branches (admins only): a branch's parent is named by code, already there or in an earlier row."""

from sqlalchemy import Select, case, insert, select, update
from sqlalchemy.orm import aliased

from engine import fields
from engine.db import db
from engine.directory import changes
from engine.directory.branches import PARENT_LEVEL, second_root
from engine.imports import checks
from engine.imports.checks import Row, code
from engine.imports.columns import Column
from engine.imports.scope import Place, Scope
from engine.models import BRANCH_LEVELS, Branch

COLUMNS = (Column("code", "机构编码", required=True), Column("name", "机构名称", required=True),
           Column("level", "级别", required=True), Column("parent", "上级机构"))
KEY = "code"
ADMIN_ONLY = True
LEVEL_ORDER = {level: rank for rank, level in enumerate(BRANCH_LEVELS)}


def states(keys: list[str]) -> dict[str, dict]:
    parent = aliased(Branch)
    query = (select(Branch.id, Branch.code, Branch.name, Branch.level, parent.code.label("parent"))
             .outerjoin(parent, Branch.parent_id == parent.id).where(Branch.code.in_(keys)))
    return {row.code: row._asdict() for row in db.session.execute(query)}


def listed(scope: Scope) -> Select:
    """Headquarters first, then provinces, then cities: a file in this order imports into an empty database."""
    return select(Branch.code).order_by(case(LEVEL_ORDER, value=Branch.level), Branch.code)


def cells(state: dict) -> list:
    return checks.cells(COLUMNS, state)


def check(scope: Scope, values: dict[str, str], state: dict | None) -> Row:
    row = Row(values)
    key = row.take("code", code(32))
    row.take("name", fields.text(required=True, limit=128))
    level = row.take("level", fields.choice(BRANCH_LEVELS))
    parent = row.take("parent", lambda value: _parent(scope, value, key, state and state["parent"]), empty=None)
    if level and not row.problems:
        wanted = PARENT_LEVEL[level]
        found = scope.branch(parent).level if parent else None
        if found != wanted:
            row.fail("parent", parent, f"a {level} branch sits under " + (f"a {wanted} branch" if wanted else
                                                                          "no other branch"),
                     f"{level} 级机构的上级应为 " + (f"{wanted} 级机构" if wanted else "空"))
    if level == "hq" and state is None and not row.problems:
        root = next((known for known, place in scope.branches.items() if place.level == "hq"), None)
        if root is not None:  # headquarters, or an earlier row of this file
            row.fail("parent", values.get("parent", ""), *second_root(root))
    if state is not None and level and level != state["level"]:  # the branches under it would sit wrong
        row.fail("level", level, f"branch {key} is a {state['level']} branch; its level cannot change",
                 f"机构 {key} 为 {state['level']} 级，级别不能修改")
    if key and level and not row.problems and state is None:
        scope.branches[key] = Place(None, level)  # later rows may name it as their parent
    return row


def _parent(scope: Scope, value: str, code: str | None, current: str | None) -> str:
    if value == code:
        raise fields.Wrong("a branch cannot be its own parent", "机构不能是自己的上级")
    if scope.branch(value) is None:
        raise fields.Wrong(f"no branch {value} (neither known nor in an earlier row)",
                           f"没有分支机构 {value}（既不存在，也不在前面的行中）")
    scope.usable_branch(value, current)
    return value


def differences(clean: dict, state: dict) -> dict:
    return checks.changed(clean, state)


def write(scope: Scope, rows: list, states: dict[str, dict], reason: str) -> list[dict]:
    """In file order, so a parent is written before the branches under it; each field in the directory's audit
    trail, as an admin's change is."""
    audit = []
    for row in rows:
        audit += [changes.entry(scope.actor, "branch", row.key, field, old, new) for field, (old, new) in
                  differences(row.values, {} if row.action == "new" else states[row.key]).items()]
        values = {key: row.values[key] for key in ("name", "level") if key in row.values}
        if "parent" in row.values:
            parent = row.values["parent"]
            values["parent_id"] = scope.branch(parent).id if parent else None  # written by an earlier row
        if row.action == "new":
            branch_id = db.session.execute(insert(Branch).returning(Branch.id), {"code": row.key, **values}).scalar()
            scope.branches[row.key] = Place(branch_id, values["level"])
        else:
            db.session.execute(update(Branch).where(Branch.id == states[row.key]["id"]).values(**values))
    changes.record_all(audit)
    return []

