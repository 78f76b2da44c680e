"""Staff accounts: password checks and API tokens."""

import hashlib
import secrets

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from engine.db import db
from engine.errors import InvalidInput, NotFound
from engine.models import ROLES, ApiToken, Branch, User, UserRole


def create_user(username: str, password: str, roles: list[str], display_name: str = "",
                email: str | None = None, phone: str | None = None, branch: Branch | None = None) -> User:
    """A new account; without a ``branch`` it sees no customer and no ticket until someone places it."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise InvalidInput(f"unknown roles: {', '.join(sorted(unknown))}", [{"field": "roles", "message": "unknown"}])
    user = User(username=username, display_name=display_name or username, email=email, phone=phone, branch=branch,
                password_hash=generate_password_hash(password),
                roles=[UserRole(role=role) for role in roles])
    db.session.add(user)
    return user


def by_username(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new bearer token for the user; it is shown once and only its hash is kept."""
    token = "kd_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token)))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user
