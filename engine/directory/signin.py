"""Staff sign-in with a lockout: five wrong passwords within 15 minutes lock the account for the rest of them.

Every attempt is a row in ``sign_in_events`` (kept, never changed), so the lockout is computed from
the audit trail itself and an admin can read who tried what from where.
"""

from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Index, String, select
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
    until = locked_until(username, now)
    if until is not None:
        _record(username, None, "refused", address, now)
        db.session.commit()
        raise AccountLocked(until)
    user = users.authenticate(username, password)
    if user is None:
        _record(username, None, "failure", address, now)
        db.session.flush()
        until = locked_until(username, now)
        if until is not None:
            _record(username, None, "locked", address, now)
        db.session.commit()
        if until is not None:
            raise AccountLocked(until)
        raise WrongCredentials("wrong user name or password")
    _record(username, user.id, "success", address, now)
    db.session.commit()
    return user


def signed_out(user: User, address: str = "") -> None:
    _record(user.username, user.id, "signed_out", address, clock.now())
    db.session.commit()


def locked_until(username: str, now: datetime) -> datetime | None:
    """When the lock on ``username`` ends, or None: MAX_FAILURES failures within WINDOW and no success since."""
    recent = db.session.execute(
        select(SignInEvent.outcome, SignInEvent.at)
        .where(SignInEvent.username == username, SignInEvent.at > now - WINDOW,
               SignInEvent.outcome.in_(("success", "failure")))
        .order_by(SignInEvent.at.desc(), SignInEvent.id.desc())).all()
    failures = []
    for outcome, at in recent:
        if outcome == "success":
            break
        failures.append(at)
    if len(failures) < MAX_FAILURES:
        return None
    return failures[MAX_FAILURES - 1] + WINDOW


def _record(username: str, user_id: int | None, outcome: str, address: str, at: datetime) -> None:
    db.session.add(SignInEvent(username=username, user_id=user_id, outcome=outcome, address=address[:64], at=at))
