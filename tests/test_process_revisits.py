"""Revisit programmes (000 §二.3 月回访/季回访; 004 §五.7 回访计划): the monthly and quarterly plans pick exactly the
customers the seed's rules name, a supervisor's query plan picks by criteria, each customer gets one revisit for
its own account manager due by the plan's end; every path of a revisit (reached, visited, not reached once, twice
and the supervisor's three decisions, overdue); the customer's record and the counts."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine import scheduler, tickets
from engine.churn.models import ChurnSignal
from engine.db import db
from engine.directory import branches, users
from engine.errors import InvalidInput, ProcessError
from engine.models import Customer, ProcessModel, ProcessVersion, Ticket
from engine.revisits import records
from tests.process_library import layout_problems, messages, problems, staff
from tests.process_walk import customer, open_task, work

MONTHLY_DUE = datetime(2026, 11, 30, 19, tzinfo=UTC)  # 1 December 03:00 at the desk
QUARTERLY_DUE = datetime(2026, 12, 31, 20, tzinfo=UTC)  # 1 January 04:00 at the desk
REACHED = {"outcome": "reached", "satisfaction": 4, "problems": "Evening latency", "suggestions": "A second line"}
NOT_REACHED = {"outcome": "not_reached"}


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    """Set before the demo deploys (autouse comes before ``app``): the schedules plan 1 December and 1 January."""
    return fake_clock


def opened_customer(code: str, since: date, status: str = "active", branch: str = "SH", tier: str = "B") -> Customer:
    row = Customer(code=code, name=f"Customer {code}", kind="group", tier=tier, credit_level="red", status=status,
                   customer_since=since, arpu=Decimal("5000"), points=0, phone="+8613955550000",
                   branch=branches.by_code(branch), account_manager=staff("manager"))
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def newcomers(app):
    """Customers opened in different months (one of November left the network again)."""
    for code, since, status in [("N-SEP", date(2026, 9, 30), "active"), ("N-OCT", date(2026, 10, 1), "active"),
                                ("N-NOV1", date(2026, 11, 1), "active"), ("N-NOV2", date(2026, 11, 30), "active"),
                                ("N-NOVX", date(2026, 11, 15), "departed"), ("N-DEC", date(2026, 12, 1), "active")]:
        opened_customer(code, since, status)


def of_process(key: str) -> list[Ticket]:
    return list(db.session.scalars(select(Ticket).join(ProcessVersion).join(ProcessModel)
                                   .where(ProcessModel.key == key).order_by(Ticket.id)))


def plan_started(fake_clock, due: datetime, kind: str) -> Ticket:
    fake_clock.current = due.replace(second=1)
    scheduler.sweep()
    [plan] = [t for t in of_process("revisit_plan") if t.data.get("period") and _kind(t) == kind]
    return plan


def _kind(plan: Ticket) -> str:
    return "quarterly" if ".." in plan.data["period"] else "monthly"


def revisits_of(plan: Ticket) -> dict[str, Ticket]:
    return {t.customer.code: t for t in of_process("customer_revisit") if t.data["plan_number"] == plan.number}


def test_the_diagrams_validate_and_are_laid_out(app):
    for key in ("revisit_plan", "revisit_query", "customer_revisit"):
        assert problems(key) == [] and layout_problems(key) == [], key


def test_the_monthly_plan_revisits_the_customers_opened_in_the_month_just_ended(app, fake_clock, newcomers):
    plan = plan_started(fake_clock, MONTHLY_DUE, "monthly")
    assert (plan.status, plan.data["planned"], plan.data["period"], plan.data["due_on"]) == (
        "closed", 2, "2026-11", "2026-12-31")
    revisits = revisits_of(plan)
    assert sorted(revisits) == ["N-NOV1", "N-NOV2"]  # not October's, not December's, not the departed one
    task = open_task(revisits["N-NOV1"], "revisit_customer")
    assert (task.assignee.username, task.state) == ("manager", "claimed")  # the customer's own account manager
    assert revisits["N-NOV1"].data["contact"] == "+8613955550000" and revisits["N-NOV1"].channel == "green"


def test_the_quarterly_plan_revisits_the_first_two_months_still_active(app, fake_clock, newcomers):
    plan = plan_started(fake_clock, QUARTERLY_DUE, "quarterly")
    assert (plan.data["period"], plan.data["due_on"]) == ("2026-10..2026-11", "2027-01-31")
    assert sorted(revisits_of(plan)) == ["N-NOV1", "N-NOV2", "N-OCT"]  # December's is in that day's monthly plan
    monthly = [t for t in of_process("revisit_plan") if t.data.get("period") == "2026-12"]
    assert [sorted(revisits_of(m)) for m in monthly] == [["N-DEC"]]


@pytest.mark.parametrize("steps, status, outcome", [
    ([("manager", REACHED)], "closed", "reached"),
    ([("manager", {"outcome": "visited", "satisfaction": 5})], "closed", "visited"),
    ([("manager", NOT_REACHED), ("manager", REACHED)], "closed", "reached"),  # once: the manager tries again
    ([("manager", NOT_REACHED), ("manager", NOT_REACHED), ("supervisor", {"decision": "try_again"}),
      ("manager", REACHED)], "closed", "reached"),
    ([("manager", NOT_REACHED), ("manager", NOT_REACHED), ("supervisor", {"decision": "visit"}),
      ("manager", {"outcome": "visited", "satisfaction": 3})], "closed", "visited"),
    ([("manager", NOT_REACHED), ("manager", NOT_REACHED),
      ("supervisor", {"decision": "close_unreached", "decision_note": "Disconnected"})], "closed", "not_reached"),
])
def test_every_path_of_a_revisit(app, fake_clock, newcomers, steps, status, outcome):
    revisit = revisits_of(plan_started(fake_clock, MONTHLY_DUE, "monthly"))["N-NOV1"]
    for username, data in steps:
        element = "decide_unreached" if username == "supervisor" else "revisit_customer"
        work(revisit, element, username, data)
    assert revisit.status == status
    [entry] = records.of_customer(customer("N-NOV1"))
    assert entry["outcome"] == outcome


def test_a_reached_customer_needs_the_satisfaction(app, fake_clock, newcomers):
    revisit = revisits_of(plan_started(fake_clock, MONTHLY_DUE, "monthly"))["N-NOV1"]
    with pytest.raises(InvalidInput) as caught:
        work(revisit, "revisit_customer", "manager", {"outcome": "reached"})
    assert [d["field"] for d in caught.value.details] == ["satisfaction"]


def test_past_the_plans_end_the_supervisors_are_told_once(app, fake_clock, newcomers):
    revisit = revisits_of(plan_started(fake_clock, MONTHLY_DUE, "monthly"))["N-NOV1"]
    fake_clock.current = datetime(2026, 12, 31, 16, 0, tzinfo=UTC)  # 31 December 24:00 at the desk
    scheduler.sweep()
    assert [m for m in messages(revisit) if m[2] == "supervisor"] == [
        ("process_message", "email", "supervisor"), ("process_message", "sms", "supervisor")]
    fake_clock.advance(days=1)
    scheduler.sweep()
    assert len([m for m in messages(revisit) if m[2] == "supervisor"]) == 2
    work(revisit, "revisit_customer", "manager", REACHED)  # late, but done
    assert revisit.status == "closed"


def query_plan(username: str = "supervisor", **criteria) -> Ticket:
    return tickets.start_ticket(staff(username), "revisit_query", "Key accounts revisit",
                                data={"plan_name": "Key accounts", "due_days": 7, **criteria})


def test_a_query_plan_picks_by_criteria_and_never_twice_while_one_is_open(app, fake_clock):
    plan = query_plan(tier="A")
    assert sorted(revisits_of(plan)) == ["G0002", "P0001"] and plan.data["due_on"] == "2026-11-30"
    again = query_plan(tier="A")
    assert (again.data["planned"], revisits_of(again)) == (0, {})
    pudong = query_plan(branch="SH-PD")
    assert sorted(revisits_of(pudong)) == ["G0001", "G0003", "P0002"]


def test_a_query_plan_leaves_out_the_recently_revisited(app, fake_clock):
    first = query_plan(member_card="diamond")
    work(revisits_of(first)["P0001"], "revisit_customer", "manager", REACHED)
    fake_clock.advance(days=10)
    assert revisits_of(query_plan(member_card="diamond", last_revisit_days=30)) == {}
    fake_clock.advance(days=30)
    assert sorted(revisits_of(query_plan(member_card="diamond", last_revisit_days=30))) == ["P0001"]


def test_a_query_plan_keeps_to_the_starters_branches(app):
    assert sorted(revisits_of(query_plan("pudong"))) == ["G0001", "G0003", "P0002"]  # Pudong's customers only
    with pytest.raises(ProcessError) as caught:
        query_plan("pudong", branch="SH-MH")  # Minhang lies outside Pudong
    assert "没有分支 SH-MH" in str(caught.value)
    assert len(of_process("revisit_query")) == 1  # the refused plan left nothing behind


def test_the_record_and_the_counts(app, api, fake_clock, newcomers):
    plan = plan_started(fake_clock, MONTHLY_DUE, "monthly")
    revisits = revisits_of(plan)
    work(revisits["N-NOV1"], "revisit_customer", "manager", {**REACHED, "satisfaction": 2})
    shown = api("get", f"/customers/{customer('N-NOV1').id}/revisits", "agent").get_json()["revisits"]
    assert [(r["plan"], r["outcome"], r["satisfaction"], r["problems"]) for r in shown] == [
        (plan.number, "reached", 2, "Evening latency")]
    report = api("get", f"/revisits/report?start=2026-12-01&end=2026-12-01&plan={plan.number}", "supervisor")
    body = report.get_json()
    assert body["by_manager"] == {"manager": {"planned": 2, "done": 1, "not_reached": 0, "open": 1}}
    assert body["by_branch"] == {"SH": {"planned": 2, "done": 1, "not_reached": 0, "open": 1}}
    assert body["satisfaction_by_tier"] == {"B": {"answers": 1, "average": 2.0}}
    assert api("get", "/revisits/report", "agent").status_code == 403
    # an unhappy revisit is a pre-churn signal the next night
    fake_clock.current = datetime(2026, 12, 1, 17, 30, 1, tzinfo=UTC)
    scheduler.sweep()
    derived = db.session.scalars(select(ChurnSignal).where(ChurnSignal.customer_id == customer("N-NOV1").id)).all()
    assert [(s.kind, s.source) for s in derived] == [("dissatisfied_revisits", "derived")]
    assert timedelta(0) < fake_clock.now() - revisits["N-NOV1"].closed_at


def test_the_customer_page_shows_its_revisits(app, staff, fake_clock, newcomers):
    revisit = revisits_of(plan_started(fake_clock, MONTHLY_DUE, "monthly"))["N-NOV1"]
    work(revisit, "revisit_customer", "manager", REACHED)
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    page = staff("agent").get(f"/customers/{customer('N-NOV1').id}").get_data(as_text=True)
    section = page[page.index('data-testid="customer-revisits"'):]
    assert revisit.number in section and "电话回访成功" in section and "Evening latency" in section
