"""Staff sign-in with a lockout: five wrong passwords within 15 minutes lock the account for the rest of them.

Every attempt is a row in ``sign_in_events`` (kept, never changed), so an admin can read who tried
what from where. The lock itself is a counter per user name that an attempt claims with one UPDATE
before its password is checked: the database serialises the claims, so of 60 parallel guesses exactly
five get a password check and the rest are refused, on SQLite and PostgreSQL alike.
"""

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, case, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.db import db
from engine.directory import users
from engine.errors import EngineError
from engine.models import User

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


class SignInEvent(db.Model):
    """One sign-in attempt or sign-out: success | failure | locked | refused | signed_out."""

    __tablename__ = "sign_in_events"
    __table_args__ = (Index("ix_sign_in_events_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime]


class SignInCounter(db.Model):
    """Wrong passwords for a user name since ``since`` (the first of the current window); reset by a success."""

    __tablename__ = "sign_in_counters"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    since: Mapped[datetime]


class WrongCredentials(EngineError):
    code = "wrong_credentials"


class AccountLocked(EngineError):
    code = "account_locked"

    def __init__(self, until: datetime):
        super().__init__(f"too many wrong passwords: this account is locked until {until:%H:%M} UTC")
        self.until = until


def sign_in(username: str, password: str, address: str = "") -> User:
    """The user whose password this is; each outcome is recorded and committed."""
    username = username.strip()[:64]
    now = clock.now()
    claimed = _claim(username, now)
    if claimed is None:
        _record(username, None, "refused", address, now)
        db.session.commit()
        raise AccountLocked(locked_until(username, now))
    user = users.authenticate(username, password)
    if user is None:
        _record(username, None, "failure", address, now)
        failures, since = claimed
        if failures >= MAX_FAILURES:
            _record(username, None, "locked", address, now)
        db.session.commit()
        if failures >= MAX_FAILURES:
            raise AccountLocked(since + WINDOW)
        raise WrongCredentials("wrong user name or password")
    db.session.execute(update(SignInCounter).where(SignInCounter.username == username).values(failures=0))
    _record(username, user.id, "success", address, now)
    db.session.commit()
    return user


def signed_out(user: User, address: str = "") -> None:
    _record(user.username, user.id, "signed_out", address, clock.now())
    db.session.commit()


def _claim(username: str, now: datetime) -> tuple[int, datetime] | None:
    """Count this attempt as a failure until it proves otherwise, in one committed UPDATE; None when locked.

    The UPDATE's condition is re-checked on the newest row by whichever attempt waits for another's lock
    (PostgreSQL) or for the write lock (SQLite), so no two attempts take the same place in the count.
    """
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(SignInCounter).values(username=username, failures=0, since=now)
                       .on_conflict_do_nothing(index_elements=["username"]))
    expired = SignInCounter.since <= now - WINDOW
    row = db.session.execute(
        update(SignInCounter)
        .where(SignInCounter.username == username, (SignInCounter.failures < MAX_FAILURES) | expired)
        .values(failures=case((expired, 1), else_=SignInCounter.failures + 1),
                since=case((expired | (SignInCounter.failures == 0), now), else_=SignInCounter.since))
        .returning(SignInCounter.failures, SignInCounter.since)).first()
    db.session.commit()
    return tuple(row) if row else None


def locked_until(username: str, now: datetime) -> datetime | None:
    """When the lock on ``username`` ends, or None when it is not locked."""
    counter = db.session.get(SignInCounter, username)
    if counter is None or counter.failures < MAX_FAILURES or counter.since <= now - WINDOW:
        return None
    return counter.since + WINDOW


def _record(username: str, user_id: int | None, outcome: str, address: str, at: datetime) -> None:
    db.session.add(SignInEvent(username=username, user_id=user_id, outcome=outcome, address=address[:64], at=at))
