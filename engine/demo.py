"""Demo data: the five staff users (password ``demo``), key-account customers of each tier, the shipped diagrams."""

from pathlib import Path

from sqlalchemy import select

from engine import deployments, users
from engine.db import db
from engine.models import Customer, ProcessModel, User

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
    db.session.commit()
    admin = users.by_username("admin")
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        if db.session.scalar(select(ProcessModel).where(ProcessModel.key == path.stem)) is None:
            deployments.deploy(admin, path.read_bytes(), comment="shipped with KeyDesk")
            added.append(f"process {path.stem}")
    return added
