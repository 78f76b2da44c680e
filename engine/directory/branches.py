"""Branches and who sees what: staff see the records of their branch and of every branch below it.

Headquarters (the root) sees everything, records of no branch included. A user placed in no branch
sees nothing that belongs to a branch: an account nobody placed in the organisation reads no
customer data (least privilege). The branches below a user's come from a recursive CTE over
``branches.parent_id`` (no derived path column to keep in step when a branch is added or moved),
kept per process (engine.config_cache: every request asks, the tree changes a few times a year);
lists then filter on those ids as constants, which PostgreSQL's planner matches to the branch_id
indexes (a CTE inside the list's statement hides its size from the planner: see bench/branches.py).
"""

from collections.abc import Set as AbstractSet

from sqlalchemy import ColumnElement, bindparam, false, null, select, true

from engine import config_cache, fields
from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import BRANCH_LEVELS, Branch, User

TREE = frozenset({"branches"})
PARENT_LEVEL = {"hq": None, "province": "hq", "city": "province"}


def create(code: str, name: str, level: str, parent: Branch | None = None) -> Branch:
    """A new branch under ``parent``: a province under headquarters, a city under a province."""
    problems = []
    if not isinstance(code, str) or not code.strip():
        problems.append(fields.problem("code", "required", "必填"))
    elif db.session.scalar(select(Branch.id).where(Branch.code == code.strip())) is not None:
        problems.append(fields.problem("code", f"branch {code.strip()} exists already",
                                       f"分支机构 {code.strip()} 已存在"))
    if not isinstance(name, str) or not name.strip():
        problems.append(fields.problem("name", "required", "必填"))
    if level not in BRANCH_LEVELS:
        listed = ", ".join(BRANCH_LEVELS)
        problems.append(fields.problem("level", f"one of {listed}", f"应为以下之一：{listed}"))
    elif (parent.level if parent else None) != PARENT_LEVEL[level]:
        wanted = PARENT_LEVEL[level]
        problems.append(fields.problem("parent", f"a {level} branch sits under " + (
            f"a {wanted} branch" if wanted else "no other branch"),
            f"{level} 级分支机构只能设在 {wanted or '（无）'} 级分支机构之下"))
    elif level == "hq" and (root := root_code()) is not None:
        problems.append(fields.problem("parent", *second_root(root)))
    if problems:
        raise InvalidInput("wrong branch fields: " + "; ".join(f"{p['field']}: {p['message']}" for p in problems),
                           problems)
    branch = Branch(code=code.strip(), name=name.strip(), level=level, parent=parent)
    db.session.add(branch)
    return branch


def root_code() -> str | None:
    """The code of headquarters, the organisation's one root (None in an empty database)."""
    return db.session.scalar(select(Branch.code).where(Branch.parent_id.is_(None)).order_by(Branch.id).limit(1))


def second_root(root: str) -> tuple[str, str]:
    """Why a second headquarters is refused: every branch lies below the one root, or the tree would split in two
    and headquarters would no longer see everything."""
    return (f"the organisation has one headquarters already ({root}): give the branch a parent",
            f"组织只能有一个总部（已有 {root}）：请为该分支机构指定上级机构")


def by_code(code: str) -> Branch:
    branch = db.session.scalar(select(Branch).where(Branch.code == code))
    if branch is None:
        raise NotFound(f"no branch {code!r}")
    return branch


def visible(user: User, column) -> ColumnElement[bool]:
    """A WHERE condition: ``column`` (a branch id column) is within what ``user`` may see."""
    return within(visible_ids(user), column)


def within(ids: AbstractSet[int] | None, column) -> ColumnElement[bool]:
    """A WHERE condition: ``column`` is one of ``ids`` (None: any value, records of no branch included)."""
    if ids is None:
        return true()
    return column.in_(sorted(ids)) if ids else false()


_BOUND = "branch_ids"  # the parameter of within_bound


def within_bound(column) -> ColumnElement[bool]:
    """``within`` for a statement built once: the ids are its parameter, which ``bound_ids`` gives for a scope. A
    statement for a viewer who sees every branch (scope None) leaves the condition out."""
    return column.in_(bindparam(_BOUND, expanding=True))


def bound_ids(ids: AbstractSet[int] | None) -> dict:
    """The parameter of ``within_bound`` for a scope (visible_ids)."""
    return {_BOUND: sorted(ids or ())}


def visible_ids(user: User) -> frozenset[int] | None:
    """The branch ids the user may see; None means every branch and records of no branch (headquarters)."""
    return scope(user.branch_id)


def scope(branch_id: int | None) -> frozenset[int] | None:
    """The ids of a branch and the branches under it; None for a top branch (everything), none for no branch."""
    if branch_id is None:
        return frozenset()
    return config_cache.cached(("branch_scope", branch_id), TREE, lambda: _read_scope(branch_id))


def _read_scope(branch_id: int) -> frozenset[int] | None:
    """The branch's subtree in one statement; the branch's own row says whether it is a top branch."""
    tree = _subtree(branch_id)
    rows = db.session.execute(select(tree.c.id, tree.c.parent_id)).all()
    if any(row.id == branch_id and row.parent_id is None for row in rows):
        return None
    return frozenset(row.id for row in rows)


def _subtree(branch_id: int):
    """The branch and the branches under it, as a recursive CTE of (id, parent_id)."""
    tree = select(Branch.id, Branch.parent_id).where(Branch.id == branch_id).cte("branch_scope", recursive=True)
    return tree.union_all(select(Branch.id, Branch.parent_id).where(Branch.parent_id == tree.c.id))


def can_see(user: User, branch_id: int | None) -> bool:
    ids = visible_ids(user)
    return ids is None or branch_id in ids


def audience(branch_id: int | None) -> ColumnElement[bool]:
    """A WHERE condition on users: those who may see records of ``branch_id`` (its branch and the ones above)."""
    return User.branch_id.in_(config_cache.cached(("branch_chain", branch_id), TREE, lambda: _read_chain(branch_id)))


def _read_chain(branch_id: int | None) -> tuple[int, ...]:
    """The branch and the branches above it up to headquarters; headquarters alone for records of no branch."""
    if branch_id is None:
        return tuple(db.session.scalars(select(Branch.id).where(Branch.parent_id.is_(None))))
    chain = select(Branch.id, Branch.parent_id).where(Branch.id == branch_id).cte("branch_chain", recursive=True)
    chain = chain.union_all(select(Branch.id, Branch.parent_id).where(Branch.id == chain.c.parent_id))
    return tuple(db.session.scalars(select(chain.c.id)))


def audiences(branch_ids: set[int | None]):
    """A selectable of (branch_id, seen_from): for each of ``branch_ids``, the branches whose users may see its
    records (``audience`` for many branches in one statement): itself and those above it; for None, the top ones."""
    chain = (select(Branch.id.label("branch_id"), Branch.id.label("seen_from"), Branch.parent_id)
             .where(Branch.id.in_(sorted(i for i in branch_ids if i is not None))).cte("branch_chains", recursive=True))
    chain = chain.union_all(select(chain.c.branch_id, Branch.id, Branch.parent_id)
                            .where(Branch.id == chain.c.parent_id))
    found = select(chain.c.branch_id, chain.c.seen_from)
    if None in branch_ids:
        found = found.union_all(select(null(), Branch.id).where(Branch.parent_id.is_(None)))
    return found.subquery("audiences")


def listing(user: User) -> list[Branch]:
    """The branches the user may see, headquarters first, then by level and code."""
    order = {level: rank for rank, level in enumerate(BRANCH_LEVELS)}
    found = db.session.scalars(select(Branch).where(visible(user, Branch.id)))
    return sorted(found, key=lambda b: (order[b.level], b.code))
