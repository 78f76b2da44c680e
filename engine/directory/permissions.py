"""Which roles may do what. Checked in the engine, so every caller (API, web, CLI) gets the same rules."""

from engine.errors import Forbidden
from engine.models import User

# admin keeps the desk running and may do everything a supervisor may.
PERMISSIONS = {
    "deploy": ("supervisor", "admin"),
    "assign": ("supervisor", "admin"),
    "cancel": ("supervisor", "admin"),
    "migrate": ("supervisor", "admin"),  # move running tickets to another version
    "configure": ("admin",),  # SLA policies and business calendars
    "administer": ("admin",),  # branches, roles and users
    "open_customers": ("agent", "manager", "supervisor", "admin"),  # within their own branches
    "portfolio": ("supervisor", "admin"),  # move customers from one account manager to another
    "audit_customers": ("supervisor", "admin"),  # who looked at a customer's record
    "reports": ("supervisor", "manager", "admin"),
    "report_signals": ("agent", "manager", "supervisor", "admin"),  # pre-churn signals of customers they see
    "watch_churn": ("supervisor", "admin"),  # the at-risk list, and opening a retention plan from it
    "retention_library": ("supervisor", "admin"),  # the retention plans offered, within their branches
}


def require(actor: User, action: str) -> None:
    roles = PERMISSIONS[action]
    if not actor.has_role(*roles):
        raise Forbidden(f"{action} needs the role {' or '.join(roles)}",
                        message_zh=f"{action} 需要以下角色之一：{'、'.join(roles)}")
