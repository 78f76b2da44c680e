"""Reports, on SQLite and PostgreSQL: each figure of a known week of the desk, the inclusive local date
range at its edges, the spreadsheets read back, and who may see them.

The desk (times UTC; the reader is in Asia/Shanghai, UTC+8; the report covers the 16th and 17th local):

    R0  red, tier C     opened 15th 15:00 (23:00 local 15th)  done by tech 16:30 (00:30 local 16th), level 2
    C1  complaint, A+   opened 16th 02:00  claimed by manager 02:05, done 02:30: satisfied 5, revisit, retained
    C2  complaint, B    opened 16th 03:00  paused 03:02-03:07, response breached 03:16, claimed by manager2
                        03:20, done 03:50: satisfied 3, no revisit, reopened, lost
    C3  complaint, none opened 17th 01:00  done by manager2 01:10 (no claim)
    R1  red, A+         opened 17th 12:00  claimed by tech 12:10, resolution breached 14:05, done 14:30, level 1
    R2  red, none       opened 17th 15:59:59 (23:59:59 local 17th: the last second of the range), left open
    R3  red, tier C     opened 17th 16:00:00 (00:00 local 18th: outside), paused at 16:10, left open

Branches: the customers G0001 (A+) and G0003 are Pudong's, G0004 (C) and P0001 Minhang's, so C1 and R1 are
Pudong tickets, R0 and R3 Minhang's; the rest are the provincial branch's. Headquarters (admin) sees all.
"""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from engine import customers, deployments, scheduler, tickets
from engine.db import db
from engine.directory import branches, users
from engine.models import Customer, Ticket, UserRole
from engine.report_sql import offset_changes
from tests.bpmn_samples import simple
from tests.process_library import staff

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
CLOSE_FORM = {
    "type": "object", "title": "Close", "x-title-zh": "结单", "additionalProperties": False,
    "properties": {
        "satisfaction": {"type": "integer", "minimum": 1, "maximum": 5,
                         "title": "Satisfaction", "x-title-zh": "满意度"},
        "revisit_done": {"type": "boolean", "title": "Revisit done", "x-title-zh": "已回访"},
        "reopened": {"type": "boolean", "title": "Reopened", "x-title-zh": "重开"},
        "outcome": {"type": "string", "enum": ["retained", "lost"], "title": "Outcome", "x-title-zh": "结果"},
        "fault_level": {"type": "integer", "enum": [1, 2], "title": "Fault level", "x-title-zh": "故障等级"},
    },
}
RANGE = "start=2026-11-16&end=2026-11-17&tz=Asia/Shanghai"


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


class Desk:
    """Moves the controlled clock and works tickets through the engine."""

    def __init__(self, fake_clock):
        self.clock = fake_clock
        self.ids: dict[str, int] = {}

    def at(self, when: datetime) -> None:
        self.clock.current = when

    def start(self, name: str, process: str, when: datetime, customer: str | None) -> None:
        self.at(when)
        customer_id = db.session.scalar(select(Customer.id).where(Customer.code == customer)) if customer else None
        self.ids[name] = tickets.start_ticket(staff("agent"), process, name, customer_id=customer_id).id

    def task(self, name: str) -> int:
        return db.session.get(Ticket, self.ids[name]).tasks[-1].id

    def claim(self, name: str, who: str, when: datetime) -> None:
        self.at(when)
        tickets.claim(staff(who), self.task(name))

    def done(self, name: str, who: str, when: datetime, **data) -> None:
        self.at(when)
        tickets.complete(staff(who), self.task(name), data)

    def sweep(self, when: datetime) -> None:
        self.at(when)
        scheduler.sweep()


@pytest.fixture
def desk(app, fake_clock):
    supervisor = staff("supervisor")
    forms = {"test.close": CLOSE_FORM}
    deployments.deploy(supervisor, simple(key="yellow_complaint", channel="yellow", role="manager", work_props={
        "sla.response": "PT10M", "sla.resolution": "PT1H", "form": "test.close"}), forms=forms)
    deployments.deploy(supervisor, simple(key="red_repair", channel="red", role="tech", work_props={
        "sla.resolution": "PT2H", "form": "test.close"}), forms=forms)
    users.create_user("manager2", "demo", ["manager"], "Liu Yang (account manager)", branch=branches.by_code("SH"))
    db.session.flush()
    db.session.add(Customer(code="G0100", name="Xuhui Data Centre", kind="group", tier="B", industry="internet",
                            account_manager=staff("manager2"), branch=branches.by_code("SH")))
    db.session.commit()

    d = Desk(fake_clock)
    d.start("R0", "red_repair", utc(15, 15), "G0004")
    d.done("R0", "tech", utc(15, 16, 30), fault_level=2)
    d.start("C1", "yellow_complaint", utc(16, 2), "G0001")
    d.claim("C1", "manager", utc(16, 2, 5))
    d.done("C1", "manager", utc(16, 2, 30), satisfaction=5, revisit_done=True, reopened=False, outcome="retained")
    d.start("C2", "yellow_complaint", utc(16, 3), "G0100")
    d.at(utc(16, 3, 2))
    tickets.pause(staff("manager2"), d.ids["C2"], "Waiting for the customer's bill copy")
    d.at(utc(16, 3, 7))
    tickets.resume(staff("manager2"), d.ids["C2"])
    d.sweep(utc(16, 3, 16))
    d.claim("C2", "manager2", utc(16, 3, 20))
    d.done("C2", "manager2", utc(16, 3, 50), satisfaction=3, revisit_done=False, reopened=True, outcome="lost")
    d.start("C3", "yellow_complaint", utc(17, 1), None)
    d.done("C3", "manager2", utc(17, 1, 10), reopened=False)
    d.start("R1", "red_repair", utc(17, 12), "G0001")
    d.claim("R1", "tech", utc(17, 12, 10))
    d.sweep(utc(17, 14, 5))
    d.done("R1", "tech", utc(17, 14, 30), fault_level=1)
    d.start("R2", "red_repair", utc(17, 15, 59, 59), None)
    d.start("R3", "red_repair", utc(17, 16), "G0004")
    d.at(utc(17, 16, 10))
    tickets.pause(staff("tech"), d.ids["R3"], "The customer's site is closed")
    for when, code, changes in [(utc(16, 5), "G0003", {"credit_level": "red"}),
                                (utc(16, 6), "P0001", {"member_card": "emerald"}),
                                (utc(17, 1), "P0002", {"member_card": None}),
                                (utc(17, 15, 59, 59), "G0004", {"credit_level": "black"}),
                                (utc(17, 16), "G0002", {"credit_level": "grey"})]:  # 00:00 local on the 18th
        d.at(when)
        customers.change(db.session.scalar(select(Customer).where(Customer.code == code)), changes, "review",
                         actor=supervisor)
        db.session.commit()
    d.at(utc(17, 16, 10))
    return d


def table(api, path: str, name: str, user: str = "supervisor") -> list[tuple]:
    response = api("get", path, user)
    assert response.status_code == 200, response.json
    return [tuple(row.values()) for row in response.json["tables"][name]["rows"]]


def test_volumes_per_local_day_and_channel(api, desk):
    # R0 was opened on the 15th but closed at 00:30 on the 16th; R2 at 23:59:59 counts, R3 at 00:00 does not
    assert table(api, f"/reports/volumes?{RANGE}", "by_day") == [("2026-11-16", 2, 3), ("2026-11-17", 3, 2)]
    assert table(api, f"/reports/volumes?{RANGE}", "by_channel") == [("red", 2, 2), ("yellow", 3, 3)]
    # the same days read in UTC: the days fall differently
    assert table(api, "/reports/volumes?start=2026-11-16&end=2026-11-17&tz=UTC", "by_day") == [
        ("2026-11-16", 2, 2), ("2026-11-17", 4, 2)]


def test_the_range_includes_its_last_day_to_the_last_second(api, desk):
    one_day = "/reports/volumes?start=2026-11-17&end=2026-11-17&tz=Asia/Shanghai"
    assert table(api, one_day, "by_day") == [("2026-11-17", 3, 2)]
    assert table(api, one_day, "by_channel") == [("red", 2, 1), ("yellow", 1, 1)]  # R2 in, R3 out
    assert table(api, "/reports/volumes?start=2026-11-18&end=2026-11-18&tz=Asia/Shanghai", "by_day") == [
        ("2026-11-18", 1, 0)]  # R3, opened at 00:00:00 local
    assert table(api, "/reports/customers?start=2026-11-18&end=2026-11-18", "by_tier") == [
        ("A+", 0, 0), ("A", 0, 0), ("B", 0, 0), ("C", 1, 0)]


def test_time_per_step_reopens_and_fault_levels(api, desk):
    # red: 5400 s and 9000 s; complaints: 1800, 3000 and 600 s (percentile_cont's interpolation on both databases)
    assert table(api, f"/reports/volumes?{RANGE}", "step_times") == [
        ("red_repair", "work", "Do the work", 2, 7200.0, 8640.0),
        ("yellow_complaint", "work", "Do the work", 3, 1800.0, 2760.0)]
    assert table(api, f"/reports/volumes?{RANGE}", "complaint_reopens") == [(3, 1, 33.3)]
    assert table(api, f"/reports/volumes?{RANGE}", "fault_levels") == [(1, 1)]  # R0's level 2 opened on the 15th


def test_sla_compliance_per_dimension(api, desk):
    def sla(by: str, extra: str = "") -> list[tuple]:
        return table(api, f"/reports/sla?{RANGE}&by={by}{extra}", f"by_{by}")

    assert sla("channel") == [("red", 1, 1, 50.0, 0), ("yellow", 5, 1, 83.3, 600)]
    assert sla("process") == [("red_repair", 1, 1, 50.0, 0), ("yellow_complaint", 5, 1, 83.3, 600)]
    assert sla("step") == [("work", 6, 2, 75.0, 600)]
    assert sla("role") == [("manager", 5, 1, 83.3, 600), ("tech", 1, 1, 50.0, 0)]
    # C2's response breached at 03:16 while its task waited in the queue: nobody held it (manager2 took it later)
    assert sla("member") == [("manager", 2, 0, 100.0, 0), ("manager2", 3, 0, 100.0, 300), ("tech", 1, 1, 50.0, 0),
                             (None, 0, 1, 0.0, 300)]
    assert sla("tier") == [("A+", 2, 1, 66.7, 0), ("B", 1, 1, 50.0, 600), ("C", 1, 0, 100.0, 0),
                           (None, 2, 0, 100.0, 0)]
    assert sla("channel", "&kind=response") == [("yellow", 2, 1, 66.7, 300)]
    everything = api("get", f"/reports/sla?{RANGE}", "manager").json["tables"]
    assert list(everything) == ["by_channel", "by_process", "by_step", "by_role", "by_member", "by_tier"]


def test_drilling_down_to_the_tickets_behind_a_figure(api, desk):
    numbers = {name: db.session.get(Ticket, ticket_id).number for name, ticket_id in desk.ids.items()}
    rows = table(api, f"/reports/sla/tickets?{RANGE}&by=channel&value=yellow", "sla_tickets")
    assert [(r[1], r[5], r[6], r[7]) for r in rows] == [
        (numbers["C1"], 2, 0, 0), (numbers["C2"], 1, 1, 600), (numbers["C3"], 2, 0, 0)]
    rows = table(api, f"/reports/sla/tickets?{RANGE}&by=tier&value=A%2B&outcome=breached", "sla_tickets")
    assert [(r[1], r[6]) for r in rows] == [(numbers["R1"], 1)]
    rows = table(api, f"/reports/sla/tickets?{RANGE}&by=tier", "sla_tickets")  # no value: tickets of no customer
    assert [r[1] for r in rows] == [numbers["C3"]]


def test_account_managers_ranked(api, desk):
    by_tickets = table(api, f"/reports/managers?{RANGE}", "ranking")
    assert by_tickets == [
        (1, "manager2", "Liu Yang (account manager)", 2, 2, 900.0, 1800.0, 0, 1, 1, 3.0, 0, 1),
        (2, "manager", "Wang Wei (account manager)", 1, 1, 300.0, 1800.0, 1, 1, 1, 5.0, 1, 0),
        (3, "pudong", "Zheng Hui (Pudong account manager)", 0, 0, None, None, 0, 0, 0, None, 0, 0)]
    by_satisfaction = table(api, f"/reports/managers?{RANGE}&sort=satisfaction", "ranking")
    assert [(r[0], r[1]) for r in by_satisfaction] == [(1, "manager"), (2, "manager2"), (3, "pudong")]


def test_customers_per_tier_and_industry_and_their_level_changes(api, desk):
    path = f"/reports/customers?{RANGE}"
    assert table(api, path, "by_tier") == [("A+", 2, 1), ("A", 0, 0), ("B", 1, 1), ("C", 0, 0)]
    assert table(api, path, "by_industry") == [("internet", 1, 1), ("logistics", 2, 1)]
    assert table(api, path, "credit_changes") == [("grey", "red", 1), ("red", "black", 1)]  # not G0002's at 00:00
    assert table(api, path, "member_changes") == [("diamond", "emerald", 1), ("emerald", None, 1)]


def test_the_dashboard_now(api, desk):
    desk.at(utc(17, 17))  # 01:00 local on the 18th
    numbers = {name: db.session.get(Ticket, ticket_id).number for name, ticket_id in desk.ids.items()}
    path = "/reports/dashboard?tz=Asia/Shanghai&weeks=2"
    assert table(api, path, "open_tickets") == [("red", 1, 1, 2)]
    # R2's task is due at 17:59:59, within the hour; R3's at 18:00:00 is not
    assert [r[1] for r in table(api, path, "due_next_hour")] == [numbers["R2"]]
    assert [(r[1], r[5]) for r in table(api, path, "oldest_open")] == [(numbers["R2"], 1.0), (numbers["R3"], 1.0)]
    assert table(api, path, "breaches_today") == []  # R1 breached at 22:05 local yesterday
    # R0 was met at 00:30 local on Monday the 16th (still Sunday in UTC): it counts in the week of the 16th
    assert table(api, path, "sla_trend") == [("2026-11-09", 0, 0, None), ("2026-11-16", 6, 2, 75.0)]
    desk.sweep(utc(17, 18, 30))
    assert table(api, path, "breaches_today") == [("red", 1)]


@pytest.fixture
def city_readers(desk):
    """Pudong's account manager sees reports; Minhang's agent is made a supervisor of the Minhang branch."""
    db.session.add(UserRole(user_id=staff("minhang").id, role="supervisor"))
    db.session.commit()
    return desk


def test_city_branch_staff_see_only_their_branch(api, city_readers):
    # Pudong: C1 and R1 (customer G0001); Minhang: R0 and R3 (G0004); headquarters (admin): every ticket
    assert table(api, f"/reports/volumes?{RANGE}", "by_day", "pudong") == [("2026-11-16", 1, 1), ("2026-11-17", 1, 1)]
    assert table(api, f"/reports/volumes?{RANGE}", "by_day", "minhang") == [("2026-11-16", 0, 1), ("2026-11-17", 0, 0)]
    assert table(api, f"/reports/volumes?{RANGE}", "by_day", "admin") == [("2026-11-16", 2, 3), ("2026-11-17", 3, 2)]
    assert table(api, f"/reports/volumes?{RANGE}", "step_times", "minhang") == [
        ("red_repair", "work", "Do the work", 1, 5400.0, 5400.0)]
    assert table(api, f"/reports/volumes?{RANGE}", "complaint_reopens", "pudong") == [(1, 0, 0.0)]
    sla = f"/reports/sla?{RANGE}&by=channel"
    assert table(api, sla, "by_channel", "pudong") == [("red", 0, 1, 0.0, 0), ("yellow", 2, 0, 100.0, 0)]
    assert table(api, sla, "by_channel", "minhang") == [("red", 1, 0, 100.0, 0)]
    assert table(api, sla, "by_channel", "admin") == [("red", 1, 1, 50.0, 0), ("yellow", 5, 1, 83.3, 600)]
    assert table(api, f"/reports/sla?{RANGE}&by=member", "by_member", "pudong") == [
        ("manager", 2, 0, 100.0, 0), ("tech", 0, 1, 0.0, 0)]
    path = f"/reports/customers?{RANGE}"
    assert table(api, path, "by_tier", "pudong") == [("A+", 2, 1), ("A", 0, 0), ("B", 0, 0), ("C", 0, 0)]
    assert table(api, path, "credit_changes", "pudong") == [("grey", "red", 1)]
    assert table(api, path, "member_changes", "pudong") == [("emerald", None, 1)]
    assert table(api, path, "credit_changes", "minhang") == [("red", "black", 1)]
    assert table(api, path, "member_changes", "minhang") == [("diamond", "emerald", 1)]
    # the managers of Pudong, and the provincial manager who worked a Pudong ticket; manager2 had none there
    assert table(api, f"/reports/managers?{RANGE}", "ranking", "pudong") == [
        (1, "manager", "Wang Wei (account manager)", 1, 1, 300.0, 1800.0, 1, 1, 1, 5.0, 1, 0),
        (2, "pudong", "Zheng Hui (Pudong account manager)", 0, 0, None, None, 0, 0, 0, None, 0, 0)]


def test_city_branch_staff_drill_down_dashboard_and_export_their_branch(api, city_readers):
    numbers = {name: db.session.get(Ticket, ticket_id).number for name, ticket_id in city_readers.ids.items()}
    drill = f"/reports/sla/tickets?{RANGE}&by=channel&value="
    assert [r[1] for r in table(api, drill + "red", "sla_tickets", "pudong")] == [numbers["R1"]]
    assert [r[1] for r in table(api, drill + "red", "sla_tickets", "minhang")] == [numbers["R0"]]
    assert table(api, drill + "yellow", "sla_tickets", "minhang") == []
    assert [r[1] for r in table(api, drill + "red", "sla_tickets", "admin")] == [numbers["R0"], numbers["R1"]]
    city_readers.at(utc(17, 17))
    dashboard = "/reports/dashboard?tz=Asia/Shanghai&weeks=1"
    assert table(api, dashboard, "open_tickets", "pudong") == []
    assert table(api, dashboard, "open_tickets", "minhang") == [("red", 0, 1, 1)]  # R3, paused
    assert [r[1] for r in table(api, dashboard, "oldest_open", "minhang")] == [numbers["R3"]]
    assert [r[1] for r in table(api, dashboard, "due_next_hour", "admin")] == [numbers["R2"]]
    assert table(api, dashboard, "due_next_hour", "minhang") == []
    assert table(api, dashboard, "sla_trend", "pudong") == [("2026-11-16", 2, 1, 66.7)]
    city_readers.sweep(utc(17, 18, 30))  # R2 breaches: a provincial ticket
    assert table(api, dashboard, "breaches_today", "admin") == [("red", 1)]
    assert table(api, dashboard, "breaches_today", "pudong") == []
    response = api("get", f"/reports/sla?{RANGE}&format=xlsx", "pudong")
    sheet = load_workbook(io.BytesIO(response.data))["Per channel"]
    assert [[c.value for c in row] for row in sheet.iter_rows(min_row=2)] == [["red", 0, 1, 0, 0],
                                                                              ["yellow", 2, 0, 100, 0]]
    rows = api("get", f"/reports/customers?{RANGE}&format=csv&table=credit_changes", "minhang").data
    assert list(csv.reader(io.StringIO(rows.decode("utf-8-sig"))))[1:] == [["red", "black", "1"]]


def test_bad_ranges_are_a_400_that_names_the_problem(api, desk):
    for query, field in [("start=2026-11-17&end=2026-11-16", "end"), ("start=2026-11-31", "start"),
                         ("start=16.11.2026", "start"), ("end=yesterday", "end"), ("tz=Mars/Olympus", "tz"),
                         ("start=2020-01-01&end=2026-01-01", "end")]:
        response = api("get", f"/reports/volumes?{query}", "supervisor")
        assert response.status_code == 400, query
        assert response.json["error"]["details"][0]["field"] == field
    assert api("get", "/reports/sla?by=weather", "supervisor").status_code == 422
    assert api("get", "/reports/volumes?format=pdf", "supervisor").status_code == 422


def test_exports_read_back(api, desk):
    response = api("get", f"/reports/volumes?{RANGE}&format=xlsx&lang=zh", "supervisor")
    assert response.status_code == 200
    assert 'filename="volumes_2026-11-16_2026-11-17.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["按日", "按渠道", "环节耗时", "投诉重开率", "故障等级分布"]
    assert [[c.value for c in row] for row in book["按日"].iter_rows()] == [
        ["日期", "新建", "关闭"], ["2026-11-16", 2, 3], ["2026-11-17", 3, 2]]
    assert [c.value for c in book["环节耗时"][3]] == ["Test process", "Do the work", "Do the work", 3, 1800, 2760]

    dashboard = api("get", "/reports/dashboard?format=xlsx", "admin")
    oldest = load_workbook(io.BytesIO(dashboard.data))["Oldest open tickets"]
    assert oldest["E2"].value == datetime(2026, 11, 17, 23, 59, 59)  # local time, as Excel shows it

    response = api("get", f"/reports/sla?{RANGE}&format=csv&table=by_channel&lang=zh", "supervisor")
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    assert list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")))) == [
        ["渠道", "达标", "超时", "达标率%", "暂停时长(秒)"], ["红色", "1", "1", "50.0", "0"],
        ["黄色", "5", "1", "83.3", "600"]]  # the channels in the reader's language, as on the page
    english = api("get", f"/reports/managers?{RANGE}&format=csv", "supervisor")  # one table: no name needed
    assert english.data.decode("utf-8-sig").splitlines()[0].startswith("Rank,User,Name,Tasks done")
    assert api("get", f"/reports/sla?{RANGE}&format=csv", "supervisor").status_code == 422  # which table?
    assert api("get", f"/reports/sla?{RANGE}&format=csv&table=nope", "supervisor").status_code == 422


def test_text_that_looks_like_a_formula_stays_text_in_the_exports(api, fake_clock):
    deployments.deploy(staff("supervisor"), simple())
    tickets.start_ticket(staff("agent"), "simple", '=HYPERLINK("http://evil.example","Click")')
    book = load_workbook(io.BytesIO(api("get", "/reports/dashboard?format=xlsx", "admin").data))
    title = book["Oldest open tickets"]["C2"]
    assert (title.value, title.data_type) == ('=HYPERLINK("http://evil.example","Click")', "s")
    rows = api("get", "/reports/dashboard?format=csv&table=oldest_open", "admin").data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(rows)))[1][2] == '\'=HYPERLINK("http://evil.example","Click")'


REPORTS = ["/reports/dashboard", "/reports/sla", "/reports/sla/tickets?by=channel&value=red", "/reports/volumes",
           "/reports/managers", "/reports/customers"]


@pytest.mark.parametrize("path", REPORTS)
def test_only_supervisors_managers_and_admins_see_reports(api, path):
    for user in ("supervisor", "manager", "admin"):
        assert api("get", path, user).status_code == 200, user
    for user in ("agent", "tech"):
        response = api("get", path, user)
        assert response.status_code == 403 and "reports" in response.json["error"]["message"]
    assert api("get", path).status_code == 401


def test_reports_are_in_the_openapi_document(api):
    paths = api("get", "/openapi.json").json["paths"]
    for path in REPORTS:
        operation = paths[path.split("?")[0]]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert {"tz", "format", "lang"} <= names and ("start" in names) == (path != "/reports/dashboard")
        assert {"200", "400", "403"} <= set(operation["responses"])


def test_local_days_follow_daylight_saving_changes(api, fake_clock):
    """New York left summer time on 1 November 2026 at 06:00 UTC (02:00 EDT became 01:00 EST)."""
    deployments.deploy(staff("supervisor"), simple())
    for when in (utc(1, 3, 59), utc(1, 5, 30), utc(2, 4, 30), utc(2, 5)):
        fake_clock.current = when  # 23:59 EDT on the 31st, 01:30 EDT, 23:30 EST on the 1st, 00:00 EST on the 2nd
        tickets.start_ticket(staff("agent"), "simple", "Ticket")
    days = table(api, "/reports/volumes?start=2026-11-01&end=2026-11-02&tz=America/New_York", "by_day")
    assert days == [("2026-11-01", 2, 0), ("2026-11-02", 1, 0)]
    start = utc(1, 0) - timedelta(days=1)
    assert offset_changes(ZoneInfo("America/New_York"), start, utc(3, 0)) == [(start, -4 * 3600),
                                                                              (utc(1, 6), -5 * 3600)]
