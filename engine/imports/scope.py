"""What an import may touch: the importing user's branches, the branches by code, lookups cached for one file."""

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from engine import fields
from engine.db import db
from engine.directory import branches
from engine.models import Branch, User


@dataclass
class Place:
    id: int | None  # None: a branch of this file, not yet written
    level: str
    active: bool = True


@dataclass
class Scope:
    actor: User
    branch_ids: set[int] | None  # where the actor may import; None: everywhere
    branches: dict[str, Place]  # every branch by code
    cache: dict = field(default_factory=dict)  # per-kind lookups for the length of one file

    @classmethod
    def of(cls, actor: User) -> "Scope":
        """Admins import everywhere; other staff within the branches they see."""
        ids = None if actor.has_role("admin") else branches.visible_ids(actor)
        known = {code: Place(id, level, active) for id, code, level, active in db.session.execute(
            select(Branch.id, Branch.code, Branch.level, Branch.active))}
        return cls(actor, ids, known)

    def allows(self, branch_id: int | None) -> bool:
        return self.branch_ids is None or branch_id in self.branch_ids

    def branch(self, code: str) -> Place | None:
        return self.branches.get(code)

    def usable_branch(self, code: str, current: str | None) -> Place:
        """The branch a row names, or fields.Wrong: an unknown one, or a deactivated one the record is not in
        already (a record kept in a deactivated branch re-imports unchanged; nothing new moves into one)."""
        place = self.branches.get(code)
        if place is None:
            raise fields.Wrong(f"no branch {code}", f"没有分支机构 {code}")
        if not place.active and code != current:
            raise fields.Wrong(f"branch {code} is deactivated", f"分支机构 {code} 已停用")
        return place


def digest(state: dict | None) -> str:
    """A record's state as the preview saw it; the commit compares it with the state it finds ("" = no record)."""
    if state is None:
        return ""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
