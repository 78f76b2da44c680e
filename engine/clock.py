"""The one place KeyDesk asks for the time, so that tests can control it, and the desk's time zone."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def now() -> datetime:
    """The current time as an aware UTC datetime. Tests replace this function."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """The desk's business time zone (KEYDESK_TIMEZONE, default Asia/Shanghai): where "09:00" and "the end of the
    day" of a process are."""
    return ZoneInfo(current_app.config["TIMEZONE"])
