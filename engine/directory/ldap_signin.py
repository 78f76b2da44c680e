"""Sign-in through the operator's directory (LDAP, with ldap3): the directory checks the password, KeyDesk keeps
the user row (branch, roles) that an admin made with ``sign_in_via = "ldap"``.

Settings (environment, read into the app config): KEYDESK_LDAP_URL, KEYDESK_LDAP_USER_DN (a DN with
``{username}``), and optionally KEYDESK_LDAP_GROUP_BASE with KEYDESK_LDAP_GROUP_ROLES (JSON: group
cn -> role key). Where groups are mapped, each sign-in gives the user exactly the mapped roles of
the groups they are in; roles no group maps to stay as the admin set them.
"""

import ldap3
from flask import current_app
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from engine.directory import changes, roles
from engine.models import User, UserRole

TIMEOUT_SECONDS = 5


def verify(username: str, password: str) -> list[str] | None:
    """The names of the user's directory groups when the directory takes the password; None otherwise
    (also when the directory cannot be reached: a sign-in fails closed)."""
    config = current_app.config
    if not config.get("LDAP_URL") or not password:  # an empty password would be an anonymous bind
        return None
    dn = config["LDAP_USER_DN"].format(username=escape_rdn(username))
    server = ldap3.Server(config["LDAP_URL"], connect_timeout=TIMEOUT_SECONDS)
    try:
        with ldap3.Connection(server, dn, password, auto_bind=True, receive_timeout=TIMEOUT_SECONDS) as conn:
            if not config.get("LDAP_GROUP_BASE"):
                return []
            conn.search(config["LDAP_GROUP_BASE"], f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))",
                        attributes=["cn"])
            return [str(entry.cn) for entry in conn.entries]
    except LDAPException:
        return None


def sync_roles(user: User, groups: list[str]) -> None:
    """Set the roles the configured groups map to, audited like an admin's change; the caller commits."""
    mapping = current_app.config.get("LDAP_GROUP_ROLES") or {}
    if not mapping:
        return
    wanted = {mapping[group] for group in groups if group in mapping} & roles.active_keys()
    new = (user.role_names - set(mapping.values())) | wanted
    if new != user.role_names:
        changes.record(None, "user", user.username, "roles", sorted(user.role_names), sorted(new))
        user.roles = [UserRole(role=role) for role in sorted(new)]
