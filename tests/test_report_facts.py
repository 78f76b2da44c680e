"""Report facts (engine/report_facts.py) on SQLite and PostgreSQL: written in the step where things happen, with
the values of that moment; the upgrade's backfill writes the same facts for what happened before it; percentiles
read by rank are percentile_cont's.

The desk (times UTC): a complaint of G0001 (tier A+, account manager "manager") opened at 02:00 on the 16th; its
response clock (10 minutes) breaches at 02:11 while the task waits in the queue; the manager claims it at 02:12
and closes it at 02:30 (satisfied 4, revisited, retained), within the hour. A second complaint is cancelled.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, func, select

from engine import customers, deployments, report_facts, scheduler, tickets
from engine.db import db
from engine.models import Customer, SlaFact, TaskFact, Ticket, TicketFact
from engine.report_sql import percentile
from tests.bpmn_samples import simple
from tests.process_library import staff
from tests.test_reports import CLOSE_FORM, table

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
RANGE = "start=2026-11-16&end=2026-11-16&tz=Asia/Shanghai"
FACT_TABLES = (TicketFact, TaskFact, SlaFact)


def utc(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 16, hour, minute, tzinfo=UTC)


def g0001() -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == "G0001"))


@pytest.fixture
def desk(app, fake_clock):
    deployments.deploy(staff("supervisor"), simple(key="yellow_complaint", channel="yellow", role="manager",
                                                   work_props={"sla.response": "PT10M", "sla.resolution": "PT1H",
                                                               "form": "test.close"}), forms={"test.close": CLOSE_FORM})
    fake_clock.current = utc(2)
    complaint = tickets.start_ticket(staff("agent"), "yellow_complaint", "Bill too high", customer_id=g0001().id)
    fake_clock.current = utc(2, 11)
    scheduler.sweep()
    task_id = complaint.tasks[-1].id
    fake_clock.current = utc(2, 12)
    tickets.claim(staff("manager"), task_id)
    fake_clock.current = utc(2, 30)
    tickets.complete(staff("manager"), task_id, {"satisfaction": 4, "revisit_done": True, "outcome": "retained"})
    cancelled = tickets.start_ticket(staff("agent"), "yellow_complaint", "Opened twice", customer_id=g0001().id)
    fake_clock.current = utc(2, 40)
    tickets.cancel(staff("supervisor"), cancelled.id, "Duplicate of the first")
    return {"complaint": complaint.id, "cancelled": cancelled.id}


def facts() -> dict[str, list[tuple]]:
    """Every fact row, as plain tuples in key order."""
    found = {}
    for model in FACT_TABLES:
        columns = list(model.__table__.columns)
        found[model.__tablename__] = [tuple(r) for r in db.session.execute(select(*columns).order_by(columns[0]))]
    return found


def test_each_fact_is_written_in_the_step_that_makes_it_known(desk):
    clocks = db.session.execute(select(SlaFact.kind, SlaFact.breached, SlaFact.decided_at, SlaFact.member_id,
                                       SlaFact.tier, SlaFact.step).order_by(SlaFact.decided_at)).all()
    manager = staff("manager").id
    assert [tuple(c) for c in clocks] == [("response", True, utc(2, 11), None, "A+", "work"),
                                          ("resolution", False, utc(2, 30), manager, "A+", "work")]
    task = db.session.execute(select(TaskFact.completed_by_id, TaskFact.response_seconds, TaskFact.duration_seconds,
                                     TaskFact.process_key)).one()
    assert tuple(task) == (manager, 12 * 60, 30 * 60, "yellow_complaint")
    done = db.session.get(TicketFact, desk["complaint"])
    assert (done.status, done.closed_at, done.complaint, done.manager_id, done.satisfaction, done.revisit_done,
            done.outcome, done.fault_level) == ("closed", utc(2, 30), True, manager, 4.0, True, "retained", None)
    assert db.session.get(TicketFact, desk["cancelled"]).status == "cancelled"


def test_later_changes_to_the_customer_do_not_move_what_was_counted(api, desk):
    customers.change(g0001(), {"tier": "B", "account_manager_id": staff("pudong").id}, "reorganisation",
                     actor=staff("supervisor"))
    db.session.commit()
    assert table(api, f"/reports/sla?{RANGE}&by=tier", "by_tier") == [("A+", 1, 1, 50.0, 0)]
    ranking = {row[1]: row for row in table(api, f"/reports/managers?{RANGE}", "ranking")}
    assert ranking["manager"][10] == 4.0  # the satisfaction of the ticket the manager's customer closed
    assert ranking["pudong"][9] == 0  # rated tickets: none, although G0001 is pudong's customer now
    assert table(api, f"/reports/customers?{RANGE}", "by_tier")[0] == ("A+", 2, 2)  # both complaints, cancelled too


def test_a_cancelled_ticket_is_opened_but_never_closed(api, desk):
    assert table(api, f"/reports/volumes?{RANGE}", "by_day") == [("2026-11-16", 2, 1)]
    assert table(api, f"/reports/volumes?{RANGE}", "complaint_reopens") == [(1, 0, 0.0)]


def test_the_backfill_writes_the_facts_the_engine_wrote_with_the_values_of_today(desk):
    written = facts()
    assert all(written.values())
    for model in reversed(FACT_TABLES):  # a database from before the facts existed
        db.session.execute(delete(model))
    report_facts.backfill(db.session.connection())
    db.session.commit()
    # the only difference: who held the task when the response breached is not kept anywhere else, so the
    # backfill names the task's holder of today (the manager who claimed it afterwards)
    member = list(SlaFact.__table__.columns).index(SlaFact.__table__.c.member_id)
    breach = written["sla_facts"][0]
    written["sla_facts"][0] = (*breach[:member], staff("manager").id, *breach[member + 1:])
    assert facts() == written
    report_facts.backfill(db.session.connection())  # a second run adds nothing
    assert facts() == written


def test_the_backfill_reads_odd_data_as_a_step_would_instead_of_failing(desk):
    ticket = db.session.get(Ticket, desk["complaint"])
    ticket.data = {**ticket.data, "fault_level": "L1", "satisfaction": "good", "reopened": 1, "outcome": 7}
    db.session.commit()
    db.session.execute(delete(TicketFact))
    report_facts.backfill(db.session.connection(), batch=1)  # a batch a ticket: both tickets, one after the other
    db.session.commit()
    odd = db.session.get(TicketFact, desk["complaint"])
    assert (odd.fault_level, odd.satisfaction, odd.reopened, odd.outcome, odd.revisit_done) == (
        None, None, None, None, True)
    assert db.session.scalar(select(func.count()).select_from(TicketFact)) == 2


@pytest.mark.parametrize(("points", "median", "p90"), [
    ([5], 5, 5),
    ([600, 1800, 3000], 1800, 2760),
    ([1, 2, 3, 4], 2.5, 3.7),
    ([40, 10, 30, 20, 10], 20, 36),
    ([7, 7, 7, 9], 7, 8.4),
])
def test_percentiles_by_rank_interpolate_as_percentile_cont(app, points, median, p90):
    db.session.add_all(Customer(code=f"PCT{n}", name=f"Percentile {n}", kind="individual", tier="C", points=value)
                       for n, value in enumerate(points))
    db.session.commit()
    ours = [Customer.code.like("PCT%")]
    found = [percentile(Customer.points, ours, len(points), f) for f in (0.5, 0.9)]
    assert found == pytest.approx([median, p90])
    if db.session.get_bind().dialect.name == "postgresql":  # the database's own percentile_cont agrees
        theirs = db.session.execute(select(*(func.percentile_cont(f).within_group(Customer.points)
                                             for f in (0.5, 0.9))).where(*ours)).one()
        assert found == pytest.approx(list(theirs))


def test_drilling_down_by_member_names_the_holder_of_each_outcome(api, desk):
    def drill(extra: str) -> list[tuple]:
        return [(r[0], r[5], r[6]) for r in table(api, f"/reports/sla/tickets?{RANGE}&by=member{extra}", "sla_tickets")]

    complaint = desk["complaint"]
    assert drill("&value=manager") == [(complaint, 1, 0)]  # the resolution, kept while the manager held the task
    assert drill("") == [(complaint, 0, 1)]  # the response breach, while nobody held it
    assert drill("&value=nobody-of-that-name") == []
