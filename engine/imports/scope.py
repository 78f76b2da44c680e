"""What an import may touch: the importing user's branches, the branches by code, lookups cached for one file."""

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.db import db
from engine.directory import branches
from engine.models import Branch, User


@dataclass
class Place:
    id: int | None  # None: a branch of this file, not yet written
    level: str


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
        known = {code: Place(id, level) for id, code, level in db.session.execute(
            select(Branch.id, Branch.code, Branch.level))}
        return cls(actor, ids, known)

    def allows(self, branch_id: int | None) -> bool:
        return self.branch_ids is None or branch_id in self.branch_ids

    def branch(self, code: str) -> Place | None:
        return self.branches.get(code)


def digest(state: dict | None) -> str:
    """A record's state as the preview saw it; the commit compares it with the state it finds ("" = no record)."""
    if state is None:
        return ""
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
