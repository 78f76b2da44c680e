"""Who answers for a role right now: its duty rota when one is set, else all its active members.

A rota is a list of shifts: a member, the weekdays, and a from-until time in the desk's time zone (a shift
whose end is before its start runs past midnight and belongs to the day it starts on). When a rota leaves
a moment uncovered, the role's members are alerted instead: an alert never falls into a gap.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, ForeignKey, Select, String, inspect, select
from sqlalchemy.orm import Mapped, mapped_column, selectinload

from engine import clock, config_cache
from engine.db import db
from engine.directory import branches, permissions, users
from engine.directory.roles import active_keys
from engine.errors import InvalidInput, NotFound
from engine.models import User, UserRole
from notifications import daytime, preferences
from notifications.preferences import NotificationPreference

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class DutyRota(db.Model):
    """A role's shifts: [{"user_id", "days": ["mon", …], "from": "HH:MM", "until": "HH:MM"}]; empty = no rota."""

    __tablename__ = "duty_rotas"

    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    shifts: Mapped[list] = mapped_column(default=list)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


def members(role: str, audience: ColumnElement[bool] | None = None) -> list[User]:
    """The role's active members; ``audience`` narrows them (the engine passes who may see a ticket's branch)."""
    return list(db.session.scalars(_members(role, audience)))


EVERYWHERE = "everywhere"  # on_duty's branch_id for a role's people whatever their branch
ROSTER_TABLES = users.USER_TABLES | branches.TREE | {"duty_rotas", "notification_preferences"}


@dataclass(frozen=True)
class _Roster:
    """A role's active members who may see a branch, its rota's shifts and each member's channel choices (their
    columns, None for one who never chose), as plain values."""

    people: tuple[users.UserCopy, ...]
    shifts: list | None
    choices: dict[int, dict | None]


def on_duty(role: str, now: datetime | None = None, branch_id: int | None | str = EVERYWHERE) -> list[User]:
    """The people to alert for a role at `now`: those on shift, or all members if nobody is (or no rota); only
    those who may see records of ``branch_id`` (the engine passes the ticket's branch), else anyone.

    The roster is read in one statement and kept per process (engine.config_cache: dropped when a person, role,
    branch, rota or choice is written; other processes see a change within its lifetime); the members' channel
    choices are kept for the alert that follows (see notifications.preferences)."""
    roster = config_cache.cached(("on_duty", role, branch_id), ROSTER_TABLES, lambda: _read_roster(role, branch_id))
    preferences.remember({user_id: columns and NotificationPreference(**columns)
                          for user_id, columns in roster.choices.items()})
    everyone = [person.attached() for person in roster.people]
    if not roster.shifts:
        return everyone
    local = (now or clock.now()).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    ids = {shift["user_id"] for shift in roster.shifts if _covers(shift, local)}
    return [person for person in everyone if person.id in ids] or everyone


def _read_roster(role: str, branch_id: int | None | str) -> _Roster:
    audience = None if branch_id == EVERYWHERE else branches.audience(branch_id)
    query = (_members(role, audience).add_columns(DutyRota.shifts, NotificationPreference)
             .outerjoin(DutyRota, DutyRota.role == role)
             .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
             .options(selectinload(User.roles)))
    rows = db.session.execute(query).all()
    columns = [attr.key for attr in inspect(NotificationPreference).column_attrs]
    return _Roster(tuple(users.copy_of(row.User) for row in rows), rows[0].shifts if rows else None,
                   {row.User.id: row.NotificationPreference and {key: getattr(row.NotificationPreference, key)
                                                                 for key in columns} for row in rows})


def _members(role: str, audience: ColumnElement[bool] | None) -> Select:
    query = select(User).join(UserRole).where(UserRole.role == role, User.active.is_(True))
    if audience is not None:
        query = query.where(audience)
    return query.order_by(User.id)


def _covers(shift: dict, local: datetime) -> bool:
    start, end = daytime.parse(shift["from"]), daytime.parse(shift["until"])
    wall = local.time().replace(tzinfo=None)
    if not daytime.within(wall, start, end):
        return False
    started = local - timedelta(days=1) if start > end and wall < end else local  # past midnight: yesterday's shift
    return DAYS[started.weekday()] in shift["days"]


def get(role: str) -> dict:
    _known(role)
    rota = db.session.get(DutyRota, role)
    names = {u.id: u.username for u in members(role)}
    return {"role": role, "shifts": [{"username": names.get(s["user_id"]), "days": s["days"], "from": s["from"],
                                      "until": s["until"]} for s in (rota.shifts if rota else [])],
            "on_duty_now": [person.username for person in on_duty(role)],
            "updated_at": rota.updated_at.isoformat() if rota else None}


def save(actor: User, role: str, shifts: object) -> dict:
    """Replace a role's rota (supervisors, admins); an empty list goes back to alerting every member."""
    permissions.require(actor, "assign")
    _known(role)
    if not isinstance(shifts, list):
        raise InvalidInput("shifts must be a list", [{"field": "shifts", "message": "a list of shifts"}])
    people = {person.username: person for person in members(role)}
    problems = [problem for index, shift in enumerate(shifts) for problem in _problems(index, shift, role, people)]
    if problems:
        raise InvalidInput(f"wrong shifts: {', '.join(p['field'] for p in problems)}", problems)
    rota = db.session.get(DutyRota, role) or DutyRota(role=role)
    rota.shifts = [{"user_id": people[s["username"]].id, "days": [d for d in DAYS if d in s["days"]],
                    "from": s["from"], "until": s["until"]} for s in shifts]
    rota.updated_at, rota.updated_by_id = clock.now(), actor.id
    db.session.add(rota)
    db.session.commit()
    return get(role)


def _problems(index: int, shift: object, role: str, people: dict) -> list[dict]:
    field = f"shifts[{index}]"
    if not isinstance(shift, dict) or set(shift) != {"username", "days", "from", "until"}:
        return [{"field": field, "message": "an object with username, days, from, until"}]
    problems = []
    if shift["username"] not in people:
        problems.append({"field": f"{field}.username", "message": f"no active member of the role {role!r}"})
    if not isinstance(shift["days"], list) or not shift["days"] or not set(shift["days"]) <= set(DAYS):
        problems.append({"field": f"{field}.days", "message": f"a non-empty list of {', '.join(DAYS)}"})
    for key in ("from", "until"):
        if not daytime.is_hh_mm(shift[key]):
            problems.append({"field": f"{field}.{key}", "message": "a time HH:MM"})
    if not problems and shift["from"] == shift["until"]:
        problems.append({"field": f"{field}.until", "message": "a shift cannot end when it starts"})
    return problems


def _known(role: str) -> None:
    known = active_keys()
    if role not in known:
        raise NotFound(f"no role {role!r}; the roles are {', '.join(sorted(known))}")
