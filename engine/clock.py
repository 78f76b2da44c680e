"""The one place KeyDesk asks for the time, so that tests can control it."""

from datetime import UTC, datetime


def now() -> datetime:
    """The current time as an aware UTC datetime. Tests replace this function."""
    return datetime.now(UTC)
