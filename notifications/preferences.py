"""Each person's say in how they are reached: channels per event kind, and quiet hours.

Without a choice a person gets every event on every channel they have an address for. Quiet hours (in the
desk's time zone) hold a non-urgent message until they end; an urgent one (a red-channel breach) goes out
at once. A choice always keeps one channel per event: whoever is on an escalation ladder stays reachable.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.db import db
from engine.errors import Forbidden, InvalidInput
from engine.models import User
from notifications import daytime, step_reads
from notifications.template_defaults import DEFAULTS

CHANNELS = ("email", "sms")


class NotificationPreference(db.Model):
    """One row per person who chose: {event: [channels]} and the quiet period (HH:MM, both or neither)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    channels: Mapped[dict] = mapped_column(default=dict)
    quiet_from: Mapped[str | None] = mapped_column(String(5))
    quiet_until: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[datetime | None]


def of(user: User) -> NotificationPreference:
    """A person's preferences, or the defaults (not stored) when they never chose; read once per step."""
    if user.id not in _known():
        read_for([user])
    return _known()[user.id]


def read_for(users: list[User]) -> None:
    """The preferences of everyone an alert goes to, in one read whatever their number, kept for the step."""
    missing = [user.id for user in users if user.id not in _known()]
    if missing:
        found = db.session.scalars(select(NotificationPreference).where(NotificationPreference.user_id.in_(missing)))
        remember({**dict.fromkeys(missing), **{pref.user_id: pref for pref in found}})


def remember(choices: dict[int, "NotificationPreference | None"]) -> None:
    """Preferences read along with their people ({user id: row, or None for one who never chose}), for the step."""
    _known().update({user_id: pref or NotificationPreference(user_id=user_id, channels={})
                     for user_id, pref in choices.items()})


def _known() -> dict[int, NotificationPreference]:
    return step_reads.kept("preferences", dict)


def channels_for(user: User, event: str) -> list[str]:
    """The channels to reach a person on for an event, among those they have an address for."""
    chosen = of(user).channels.get(event, CHANNELS)
    return [channel for channel in CHANNELS if channel in chosen and address(user, channel)]


def address(user: User, channel: str) -> str | None:
    return {"email": user.email, "sms": user.phone}[channel]


def hold_until(user: User, now: datetime) -> datetime | None:
    """When a non-urgent message to this person may go out, if `now` is in their quiet hours; else None."""
    pref = of(user)
    if not pref.quiet_from or not pref.quiet_until:
        return None
    zone = ZoneInfo(current_app.config["TIMEZONE"])
    local = now.astimezone(zone)
    start, end = daytime.parse(pref.quiet_from), daytime.parse(pref.quiet_until)
    wall = local.time().replace(tzinfo=None)
    if not daytime.within(wall, start, end):
        return None
    day = local.date() + timedelta(days=1) if start > end and wall >= start else local.date()
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


def save(actor: User, user: User, data: dict) -> NotificationPreference:
    """Change a person's preferences: their own, or anyone's for an admin. Every wrong field is named."""
    if actor.id != user.id and not actor.has_role("admin"):
        raise Forbidden("only an admin may change another person's notification preferences",
                        message_zh="只有管理员可以修改他人的通知偏好")
    problems = _problems(data)
    if problems:
        raise InvalidInput(f"wrong preference fields: {', '.join(p['field'] for p in problems)}", problems)
    pref = db.session.get(NotificationPreference, user.id) or NotificationPreference(user_id=user.id, channels={})
    if "channels" in data:
        pref.channels = {**pref.channels, **data["channels"]}
    if "quiet_hours" in data:
        quiet = data["quiet_hours"] or {}
        pref.quiet_from, pref.quiet_until = quiet.get("from"), quiet.get("until")
    pref.updated_at = clock.now()
    db.session.add(pref)
    db.session.commit()
    return pref


def as_dict(user: User) -> dict:
    pref = of(user)
    return {"username": user.username,
            "channels": {event: [c for c in CHANNELS if c in pref.channels.get(event, CHANNELS)] for event in DEFAULTS},
            "quiet_hours": {"from": pref.quiet_from, "until": pref.quiet_until} if pref.quiet_from else None,
            "addresses": {channel: address(user, channel) for channel in CHANNELS}}


def _problems(data: dict) -> list[dict]:
    problems = [{"field": key, "message": "unknown field"} for key in data if key not in ("channels", "quiet_hours")]
    chosen = data.get("channels", {})
    if not isinstance(chosen, dict):
        return [*problems, {"field": "channels", "message": "an object of event: [channels]"}]
    for event, channels in chosen.items():
        field = f"channels.{event}"
        if event not in DEFAULTS:
            problems.append({"field": field, "message": f"no such event; the events are {', '.join(DEFAULTS)}"})
        elif not isinstance(channels, list) or not channels or not set(channels) <= set(CHANNELS):
            problems.append({"field": field, "message": "a non-empty list of email, sms"})
    quiet = data.get("quiet_hours")
    if quiet is not None and not (isinstance(quiet, dict) and set(quiet) == {"from", "until"}
                                  and all(daytime.is_hh_mm(v) for v in quiet.values())
                                  and quiet["from"] != quiet["until"]):
        problems.append({"field": "quiet_hours", "message": 'null, or {"from": "HH:MM", "until": "HH:MM"}, two times'})
    return problems

