"""Demo data: five staff users (password ``demo``), customers of each tier, a calendar, a policy, the diagrams."""

from pathlib import Path

from sqlalchemy import select

from engine import deployments, users
from engine.db import db
from engine.models import CalendarRecord, Customer, ProcessModel, SlaPolicy, User

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"

DEMO_USERS = [
    # username, display name, roles, email, phone
    ("agent", "Li Na (service agent)", ["agent"], "agent@keydesk.example", "+8613800000001"),
    ("manager", "Wang Wei (account manager)", ["manager"], "manager@keydesk.example", "+8613800000002"),
    ("tech", "Zhang Lei (maintenance)", ["tech"], "tech@keydesk.example", "+8613800000003"),
    ("supervisor", "Chen Jing (duty supervisor)", ["supervisor"], "supervisor@keydesk.example", "+8613800000004"),
    ("admin", "Admin", ["admin"], "admin@keydesk.example", "+8613800000005"),
]

DEMO_CUSTOMERS = [
    # code, name, kind, tier, member card, credit level
    ("G0001", "Shanghai Port Logistics Group", "group", "A+", None, "red"),
    ("G0002", "Huadong Bank Branch Network", "group", "A", None, "red"),
    ("G0003", "Jiangnan Hospital Alliance", "group", "B", None, "grey"),
    ("G0004", "Minhang Textile Co.", "group", "C", None, "red"),
    ("P0001", "Zhao Min", "individual", "A", "diamond", "red"),
    ("P0002", "Sun Hao", "individual", "B", "emerald", "red"),
    ("P0003", "Qian Yu", "individual", "C", "sapphire", "black"),
]


OFFICE_HOURS = {day: ["08:30-12:00", "13:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
DEMO_POLICIES = [
    # an A+ customer's fault is repaired within two hours, and a late repair climbs to the supervisor
    {"name": "A+ customers: repair within 2 hours", "process_key": "red_fault", "element_id": "repair_fault",
     "customer_tier": "A+", "resolution": "PT2H", "escalate_to": "supervisor"},
]


def load() -> list[str]:
    """Add whatever demo data is missing; safe to run again. Returns what it added."""
    added = []
    for username, name, roles, email, phone in DEMO_USERS:
        if db.session.scalar(select(User).where(User.username == username)) is None:
            users.create_user(username, "demo", roles, name, email, phone)
            added.append(f"user {username}")
    db.session.flush()
    manager = users.by_username("manager")
    for code, name, kind, tier, card, credit in DEMO_CUSTOMERS:
        if db.session.scalar(select(Customer).where(Customer.code == code)) is None:
            db.session.add(Customer(code=code, name=name, kind=kind, tier=tier, member_card=card,
                                    credit_level=credit, account_manager=manager))
            added.append(f"customer {code}")
    if db.session.scalar(select(CalendarRecord).where(CalendarRecord.name == "office")) is None:
        db.session.add(CalendarRecord(name="office", timezone="Asia/Shanghai", hours=OFFICE_HOURS, china_holidays=True))
        added.append("calendar office")
    for policy in DEMO_POLICIES:
        if db.session.scalar(select(SlaPolicy).where(SlaPolicy.name == policy["name"])) is None:
            db.session.add(SlaPolicy(**policy))
            added.append(f"SLA policy {policy['name']}")
    db.session.commit()
    admin = users.by_username("admin")
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        if db.session.scalar(select(ProcessModel).where(ProcessModel.key == path.stem)) is None:
            deployments.deploy(admin, path.read_bytes(), comment="shipped with KeyDesk")
            added.append(f"process {path.stem}")
    return added
