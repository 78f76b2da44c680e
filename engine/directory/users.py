"""Staff accounts: passwords (with a minimum policy and one-time passwords) and API tokens."""

import functools
import hashlib
import secrets
import string
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from engine import clock, config_cache, fields
from engine.db import attached_copy, columns_of, db, stored_copy
from engine.directory import ldap_signin
from engine.directory.roles import active_keys
from engine.errors import InvalidInput, NotFound
from engine.models import ApiToken, Branch, User, UserRole

MIN_LENGTH = 10
USER_TABLES = frozenset({"users", "user_roles"})
TOKEN_TABLES = USER_TABLES | {"api_tokens"}


def create_user(username: str, password: str, roles: list[str], display_name: str = "",
                email: str | None = None, phone: str | None = None, branch: Branch | None = None) -> User:
    """A new account; without a ``branch`` it sees no customer and no ticket until someone places it."""
    unknown = set(roles) - active_keys()
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
    """The active user with that password. An unknown name costs the same hashing as a known one, so the time an
    answer takes does not tell which user names exist."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is not None and user.sign_in_via == "ldap":
        return _through_directory(user, password)
    matches = check_password_hash(user.password_hash if user else _stand_in_hash(), password)
    if user is None or not user.active or not matches:
        return None
    return user


def _through_directory(user: User, password: str) -> User | None:
    """The directory checks the password; its groups may set the user's roles."""
    groups = ldap_signin.verify(user.username, password) if user.active else None
    if groups is None:
        return None
    ldap_signin.sync_roles(user, groups)
    return user


@functools.cache
def _stand_in_hash() -> str:
    """A hash made the way real ones are (same method and cost) of a password nobody knows."""
    return generate_password_hash(secrets.token_urlsafe(32))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> str:
    """A new bearer token for the user; it is shown once and only its hash is kept."""
    token = "kd_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token)))
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The token's user, if it may use the API. Every API request asks: the answer is kept per process
    (engine.config_cache) and dropped when a token, user or role is written."""
    digest = _digest(token)
    found = config_cache.cached(("token", digest), TOKEN_TABLES, lambda: _token_user(digest), keep_none=False)
    if found is None or not found.columns["active"] or found.columns["must_change_password"]:
        return None
    return found.attached()


def by_id(user_id: int) -> User | None:
    """A user by id, as a signed-in page session asks on every request: kept as ``user_for_token``'s answers."""
    found = config_cache.cached(("user", user_id), USER_TABLES, lambda: copy_of(db.session.get(User, user_id)),
                                keep_none=False)
    return found and found.attached()


@dataclass(frozen=True)
class UserCopy:
    """A user's columns and roles as plain values, which any session can take in without a statement."""

    columns: dict
    roles: tuple[str, ...]

    def attached(self) -> User:
        """The user in this session, without a statement (engine.db.attached_copy)."""
        roles = [stored_copy(UserRole, {"user_id": self.columns["id"], "role": role}) for role in self.roles]
        return attached_copy(User, self.columns, roles=roles)


def copy_of(user: User | None) -> UserCopy | None:
    """The user's columns and roles (read already, or read now) as a copy any session can take in."""
    if user is None:
        return None
    return UserCopy(columns_of(user), tuple(sorted(user.role_names)))


def _token_user(digest: str) -> UserCopy | None:
    return copy_of(db.session.scalar(
        select(User).join(ApiToken, ApiToken.user_id == User.id).options(joinedload(User.roles))
        .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))))


def password_problem(password: object, username: str) -> fields.Wrong | None:
    """What the minimum policy finds wrong with a password: length, letters and digits, not the user name."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return fields.Wrong(f"must be at least {MIN_LENGTH} characters", f"至少 {MIN_LENGTH} 个字符")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return fields.Wrong("must mix letters and digits", "须同时包含字母和数字")
    if username.lower() in password.lower():
        return fields.Wrong("must not contain the user name", "不能包含用户名")
    return None


def set_password(user: User, password: str) -> None:
    """The user's own new password; refused by the policy or when it equals the one-time password it replaces."""
    wrong = password_problem(password, user.username)
    if wrong is None and check_password_hash(user.password_hash, password):
        wrong = fields.Wrong("must differ from the current password", "不能与当前密码相同")
    if wrong is not None:
        raise InvalidInput(f"the new password {wrong}", [fields.problem("password", str(wrong), wrong.message_zh)])
    user.password_hash = generate_password_hash(password)
    user.must_change_password = False


def one_time_password(user: User) -> str:
    """A random password that meets the policy; the user must change it at the next sign-in."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(14))
        if password_problem(password, user.username) is None:
            break
    user.password_hash = generate_password_hash(password)
    user.must_change_password = True
    return password


def revoke_tokens(user: User) -> int:
    """Revoke every live token of the user; how many there were. The caller commits."""
    live = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for row in live:
        row.revoked_at = clock.now()
    return len(live)
