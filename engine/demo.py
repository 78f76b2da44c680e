"""Demo data: a user for every role (password ``demo``), customers of each tier, a calendar, a policy, the diagrams."""

from datetime import date
from decimal import Decimal
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
    ("business", "Liu Yang (business department)", ["business"], "business@keydesk.example", "+8613800000006"),
    ("billing", "Zhou Min (billing)", ["billing"], "billing@keydesk.example", "+8613800000007"),
    ("engineer", "Wu Qiang (engineering)", ["engineering"], "engineer@keydesk.example", "+8613800000008"),
    ("director", "Huang Li (director)", ["director"], "director@keydesk.example", "+8613800000009"),
    ("vp", "Xu Gang (vice-president)", ["vp"], "vp@keydesk.example", "+8613800000010"),
    ("hq", "Ma Lin (headquarters key-account desk)", ["hq"], "hq@keydesk.example", "+8613800000011"),
]

DEMO_CUSTOMERS = [
    # code, name, kind, tier, member card, credit level, industry, customer since, ARPU (yuan), points, phone
    ("G0001", "Shanghai Port Logistics Group", "group", "A+", None, "red", "logistics", date(2009, 3, 1), "186000.00",
     0, "+8613900000001"),
    ("G0002", "Huadong Bank Branch Network", "group", "A", None, "red", "finance", date(2012, 7, 15), "92000.00", 0,
     "+8613900000002"),
    ("G0003", "Jiangnan Hospital Alliance", "group", "B", None, "grey", "healthcare", date(2016, 1, 4), "31000.00", 0,
     "+8613900000003"),
    ("G0004", "Minhang Textile Co.", "group", "C", None, "red", "manufacturing", date(2021, 9, 30), "4800.00", 0,
     "+8613900000004"),
    ("P0001", "Zhao Min", "individual", "A", "diamond", "red", None, date(2005, 5, 20), "1280.00", 56000,
     "+8613900000005"),
    ("P0002", "Sun Hao", "individual", "B", "emerald", "red", None, date(2015, 11, 2), "520.00", 18000,
     "+8613900000006"),
    ("P0003", "Qian Yu", "individual", "C", "sapphire", "black", None, date(2023, 2, 14), "210.00", 2500,
     "+8613900000007"),
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
    for code, name, kind, tier, card, credit, industry, since, arpu, points, phone in DEMO_CUSTOMERS:
        if db.session.scalar(select(Customer).where(Customer.code == code)) is None:
            db.session.add(Customer(code=code, name=name, kind=kind, tier=tier, member_card=card, credit_level=credit,
                                    industry=industry, customer_since=since, arpu=Decimal(arpu), points=points,
                                    phone=phone, account_manager=manager))
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
    # Sorted by name: a process a call activity runs must be deployed before its caller.
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        if db.session.scalar(select(ProcessModel).where(ProcessModel.key == path.stem)) is None:
            decisions = [dmn.read_bytes() for dmn in sorted(BPMN_DIR.glob(f"{path.stem}*.dmn"))]
            deployments.deploy(admin, path.read_bytes(), decisions, comment="shipped with KeyDesk")
            added.append(f"process {path.stem}")
    return added
