"""Demo data: a user for every role (password ``demo``), customers of each tier, a calendar, a policy, the diagrams."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from engine import contracts, deployments
from engine.db import db
from engine.directory import branches, users
from engine.forms import files as form_files
from engine.models import Branch, CalendarRecord, Contact, Contract, Customer, ProcessModel, SlaPolicy, User
from engine.retention_library import library

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


DEMO_BRANCHES = [
    # code, name, level, parent code
    ("HQ", "Headquarters", "hq", None),
    ("SH", "Shanghai Branch", "province", "HQ"),
    ("SH-PD", "Pudong City Branch", "city", "SH"),
    ("SH-MH", "Minhang City Branch", "city", "SH"),
]
# Demo users not named here work at the provincial branch and see every demo customer.
DEMO_USER_BRANCHES = {"admin": "HQ", "hq": "HQ", "vp": "HQ"}
# Staff of one city branch each: they see that city's customers only.
DEMO_CITY_USERS = [
    ("pudong", "Zheng Hui (Pudong account manager)", ["manager", "agent"], "pudong@keydesk.example",
     "+8613800000012", "SH-PD"),
    ("minhang", "Feng Yan (Minhang service agent)", ["agent"], "minhang@keydesk.example", "+8613800000013", "SH-MH"),
]
# Demo customers not named here belong to the provincial branch.
DEMO_CUSTOMER_BRANCHES = {"G0001": "SH-PD", "G0003": "SH-PD", "P0002": "SH-PD", "G0004": "SH-MH", "P0001": "SH-MH"}
DEMO_CONTACTS = [
    # customer code, name, role, phone, email
    ("G0001", "Gao Feng", "IT director", "+8613911110001", "gao.feng@port-logistics.example"),
    ("G0001", "Lin Xue", "Network operations", "+8613911110002", "lin.xue@port-logistics.example"),
    ("G0002", "He Jun", "Head of infrastructure", "+8613911110003", "he.jun@huadong-bank.example"),
    ("G0003", "Tang Mei", "Information office", "+8613911110004", None),
    ("G0004", "Luo Bin", "Owner", "+8613911110005", None),
]
DEMO_CONTRACTS = [
    # customer code, number, title, start, days from today to the end (None: open-ended), amount (yuan)
    ("G0001", "HT-2024-0107", "Leased lines between the port terminals", date(2024, 1, 1), 38, "2160000.00"),
    ("G0001", "HT-2025-0311", "Managed Wi-Fi for the container yards", date(2025, 3, 1), 465, "480000.00"),
    ("G0002", "HT-2023-0902", "Branch network MPLS VPN", date(2023, 9, 1), 220, "1100000.00"),
    ("G0003", "HT-2022-0415", "Hospital private network", date(2022, 4, 15), -8, "360000.00"),
    ("G0004", "HT-2025-1201", "Broadband and fixed lines", date(2025, 12, 1), None, "57600.00"),
]


OFFICE_HOURS = {day: ["08:30-12:00", "13:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
DEMO_POLICIES = [
    # an A+ customer's fault is repaired within two hours, and a late repair climbs to the supervisor
    {"name": "A+ customers: repair within 2 hours", "process_key": "red_fault", "element_id": "repair_fault",
     "customer_tier": "A+", "resolution": "PT2H", "escalate_to": "supervisor"},
]


def load() -> list[str]:
    """Add whatever demo data is missing; safe to run again. Returns what it added."""
    added = _load_branches()
    for username, name, roles, email, phone in DEMO_USERS:
        if db.session.scalar(select(User).where(User.username == username)) is None:
            users.create_user(username, "demo", roles, name, email, phone)
            added.append(f"user {username}")
    for username, name, roles, email, phone, branch in DEMO_CITY_USERS:
        if db.session.scalar(select(User).where(User.username == username)) is None:
            users.create_user(username, "demo", roles, name, email, phone, branches.by_code(branch))
            added.append(f"user {username}")
    db.session.flush()
    manager = users.by_username("manager")
    for code, name, kind, tier, card, credit, industry, since, arpu, points, phone in DEMO_CUSTOMERS:
        if db.session.scalar(select(Customer).where(Customer.code == code)) is None:
            db.session.add(Customer(code=code, name=name, kind=kind, tier=tier, member_card=card, credit_level=credit,
                                    industry=industry, customer_since=since, arpu=Decimal(arpu), points=points,
                                    phone=phone, account_manager=manager))
            added.append(f"customer {code}")
    db.session.flush()
    _place(User.username, [u[0] for u in DEMO_USERS], DEMO_USER_BRANCHES)
    _place(Customer.code, [c[0] for c in DEMO_CUSTOMERS], DEMO_CUSTOMER_BRANCHES)
    added += _load_records()
    added += library.add_shipped()
    if db.session.scalar(select(CalendarRecord).where(CalendarRecord.name == "office")) is None:
        db.session.add(CalendarRecord(name="office", timezone="Asia/Shanghai", hours=OFFICE_HOURS, china_holidays=True))
        added.append("calendar office")
    for policy in DEMO_POLICIES:
        if db.session.scalar(select(SlaPolicy).where(SlaPolicy.name == policy["name"])) is None:
            db.session.add(SlaPolicy(**policy))
            added.append(f"SLA policy {policy['name']}")
    db.session.commit()
    # The provincial duty supervisor deploys the shipped flows: tickets a schedule opens (the monthly member
    # review) are opened as the deploying user, in their branch, where the supervisors who review them work.
    deployer = users.by_username("supervisor")
    # Sorted by name: a process a call activity runs must be deployed before its caller.
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        if db.session.scalar(select(ProcessModel).where(ProcessModel.key == path.stem)) is None:
            decisions = [dmn.read_bytes() for dmn in sorted(BPMN_DIR.glob(f"{path.stem}*.dmn"))]
            forms = form_files.read_all([(f.name, f.read_bytes()) for f in BPMN_DIR.glob(f"{path.stem}.*.form.json")])
            deployments.deploy(deployer, path.read_bytes(), decisions, comment="shipped with KeyDesk", forms=forms)
            added.append(f"process {path.stem}")
    return added


def _load_branches() -> list[str]:
    added = []
    for code, name, level, parent in DEMO_BRANCHES:
        if db.session.scalar(select(Branch).where(Branch.code == code)) is None:
            branches.create(code, name, level, branches.by_code(parent) if parent else None)
            db.session.flush()
            added.append(f"branch {code}")
    return added


def _place(key, demo_keys: list[str], places: dict[str, str]) -> None:
    """Put the demo users or customers that are in no branch yet into theirs (the provincial branch unless named)."""
    model = key.class_
    for row in db.session.scalars(select(model).where(model.branch_id.is_(None), key.in_(demo_keys))):
        row.branch = branches.by_code(places.get(getattr(row, key.key), "SH"))


def _load_records() -> list[str]:
    added = []
    customer = {c.code: c for c in db.session.scalars(select(Customer))}
    for code, name, role, phone, email in DEMO_CONTACTS:
        known = select(Contact).where(Contact.customer_id == customer[code].id, Contact.name == name)
        if db.session.scalar(known) is None:
            db.session.add(Contact(customer=customer[code], name=name, role=role, phone=phone, email=email))
            added.append(f"contact {name}")
    today = contracts.today()
    for code, number, title, start, days, amount in DEMO_CONTRACTS:
        if db.session.scalar(select(Contract).where(Contract.number == number)) is None:
            end = None if days is None else today + timedelta(days=days)
            db.session.add(Contract(customer=customer[code], number=number, title=title, start_date=start,
                                    end_date=end, amount=Decimal(amount)))
            added.append(f"contract {number}")
    return added
