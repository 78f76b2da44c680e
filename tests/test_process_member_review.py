"""Member qualification review (bpmn/member_review.bpmn): started by its schedules, each rule of the decision table
once, manual review on (confirm and reject) and off, the card changes in the customers' history, the reviewer's SLA."""

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import customers, deployments, scheduler, schedules, tickets
from engine.db import db
from engine.directory import branches
from engine.models import Customer, Ticket
from tests.process_library import kinds, messages, staff
from tests.process_walk import customer, customer_changes, open_tasks

BPMN = Path(__file__).resolve().parent.parent / "bpmn"
MONTHLY_DUE = datetime(2026, 11, 30, 18, tzinfo=UTC)  # 1 December 02:00 at the desk
YEARLY_DUE = datetime(2027, 1, 14, 19, tzinfo=UTC)  # 15 January 03:00 at the desk


@pytest.fixture(autouse=True)
def desk_clock(fake_clock):
    """The controlled clock is set before the app's demo deploys, so the schedules plan 1 December and
    15 January 2027 whatever day the tests run on (autouse fixtures come before ``app``)."""
    return fake_clock


def diagram(**properties: bool) -> bytes:
    """The shipped diagram with process properties (manual_review, downgrades) a supervisor would set."""
    xml = (BPMN / "member_review.bpmn").read_bytes()
    props = "".join(f'<spiffworkflow:property name="{name}" value="{str(value).lower()}" />'
                    for name, value in properties.items())
    return xml.replace(b'<spiffworkflow:property name="channel" value="yellow" />',
                       b'<spiffworkflow:property name="channel" value="yellow" />' + props.encode(), 1)


def redeploy(**properties: bool) -> None:
    deployments.deploy(staff("supervisor"), diagram(**properties),
                       [p.read_bytes() for p in sorted(BPMN.glob("member_review*.dmn"))])


def holder(code: str, tier: str, card: str | None, since: date, arpu: str, points: int,
           credit: str = "red") -> Customer:
    """A card holder of the provincial branch added for the test (the demo has one of each card)."""
    row = Customer(code=code, name=f"Holder {code}", kind="individual", tier=tier, member_card=card,
                   credit_level=credit, customer_since=since, arpu=Decimal(arpu), points=points,
                   branch=branches.by_code("SH"))
    db.session.add(row)
    db.session.commit()
    return row


def change(code: str, **fields) -> None:
    customers.change(customer(code), fields, "test set-up")
    db.session.commit()


def run_screening(fake_clock, due: datetime, start_event: str = "monthly_screening") -> Ticket:
    """Let the scheduler run at that time; returns the ticket the start event's schedule started."""
    fake_clock.current = due.replace(second=1)
    scheduler.sweep()
    started = [t for t in db.session.scalars(select(Ticket).order_by(Ticket.id))
               if tickets.history(t)[0].data.get("scheduled") == start_event]
    assert len(started) == 1
    return started[0]


def review(ticket: Ticket, decisions: dict[str, bool]) -> None:
    """Confirm or reject each open review task by the customer code its title names."""
    for task in open_tasks(ticket):
        code = task.name.split(": ", 1)[1].split(" ")[0]
        tickets.complete(staff("supervisor"), task.id, {"confirmed": decisions[code], "review_note": "checked"})


def test_the_diagram_validates_and_the_demo_plans_both_schedules(app):
    dmn = [p.read_bytes() for p in sorted(BPMN.glob("member_review*.dmn"))]
    assert deployments.validate(diagram(), dmn) == []
    planned = {row.element_id: row.next_due for row in schedules.schedules() if row.model.key == "member_review"}
    assert planned == {"monthly_screening": MONTHLY_DUE, "yearly_inspection_start": YEARLY_DUE}


def test_the_monthly_screening_proposes_upgrades_and_the_reviewer_confirms_or_rejects_each(app, fake_clock):
    change("P0002", arpu="1200.00", points=60000)  # emerald, 11 years: reaches diamond
    holder("P0009", "B", "sapphire", date(2022, 5, 1), "600.00", 16000)  # 4 years: reaches emerald
    ticket = run_screening(fake_clock, MONTHLY_DUE)
    assert (ticket.title, ticket.creator.username) == ("Member qualification review (2026-12-01)", "supervisor")
    tasks = open_tasks(ticket)  # P0001 (diamond) and P0003 (black list, but no cancellation monthly) keep theirs
    assert sorted(t.name for t in tasks) == [
        "Review the card proposal: P0002 Sun Hao: upgrade emerald to diamond",
        "Review the card proposal: P0009 Holder P0009: upgrade sapphire to emerald"]
    assert {t.role for t in tasks} == {"supervisor"}
    review(ticket, {"P0002": True, "P0009": False})
    assert ticket.status == "closed"
    assert (customer("P0002").member_card, customer("P0009").member_card) == ("diamond", "sapphire")
    assert customer_changes("P0002")[-1] == ("member_card", "emerald", "diamond")
    assert customer_changes("P0009") == []
    history = customers.history(customer("P0002"))[-1]
    assert history.ticket_id == ticket.id and "upgrade (tenure, ARPU and points reach diamond)" in history.reason
    assert {k: ticket.data[k] for k in ("yearly_inspection", "screened", "proposed", "changed")} == {
        "yearly_inspection": False, "screened": 4, "proposed": 2, "changed": 1}
    assert kinds(ticket).count("completed") == 2 and kinds(ticket)[-1] == "closed"
    assert messages(ticket) == [("process_message", "email", "manager"), ("process_message", "sms", "manager")]


@pytest.mark.parametrize("manual_review", [True, False])
def test_the_yearly_inspection_downgrades_and_cancels_with_or_without_a_reviewer(app, fake_clock, manual_review):
    """With the process property downgrades = true (004 §二.3.4: downgrades are the exception)."""
    redeploy(manual_review=manual_review, downgrades=True)
    change("P0001", arpu="500.00")  # tier A diamond: a key account keeps the card all the same
    change("P0002", arpu="250.00")  # emerald under 300: down to sapphire
    holder("P0008", "B", "diamond", date(2010, 1, 1), "700.00", 90000)  # diamond under 800: down to emerald
    holder("P0007", "C", "sapphire", date(2024, 1, 1), "50.00", 500)  # too little of everything: cancelled
    # P0003 is on the black list: cancelled at the yearly inspection
    ticket = run_screening(fake_clock, YEARLY_DUE, "yearly_inspection_start")  # (December's monthly one too)
    assert ticket.title == "Member qualification review (2027-01-15)"
    if manual_review:
        assert len(open_tasks(ticket)) == 4
        review(ticket, {"P0002": True, "P0003": True, "P0007": True, "P0008": True})
    assert open_tasks(ticket) == [] and ticket.status == "closed"
    cards = {code: customer(code).member_card for code in ("P0001", "P0002", "P0003", "P0007", "P0008")}
    assert cards == {"P0001": "diamond", "P0002": "sapphire", "P0003": None, "P0007": None, "P0008": "emerald"}
    assert customer_changes("P0003")[-1] == ("member_card", "sapphire", None)
    assert "black list at the yearly inspection" in customers.history(customer("P0003"))[-1].reason
    assert (ticket.data["yearly_inspection"], ticket.data["proposed"], ticket.data["changed"]) == (True, 4, 4)
    assert ticket.data["manual_review"] is manual_review


def test_by_default_the_yearly_inspection_downgrades_nobody_but_cancels_and_offers_cards(app, fake_clock):
    """004 §二.3.3-4: a non-member who qualifies becomes a member; 一般不进行会员降级 (no downgrade unless the
    process property turns them on); a black-listed or idle holder still loses the card."""
    change("P0002", arpu="250.00")  # emerald under 300: would go down to sapphire, but downgrades are off
    holder("P0007", "C", "sapphire", date(2024, 1, 1), "50.00", 500)  # too little of everything: cancelled
    holder("P0006", "B", None, date(2020, 1, 1), "300.00", 5000)  # no card yet, qualifies: offered sapphire
    holder("P0005", "C", None, date(2025, 6, 1), "80.00", 100)  # no card and does not qualify: nothing
    ticket = run_screening(fake_clock, YEARLY_DUE, "yearly_inspection_start")
    titles = sorted(t.name.split(": ", 1)[1] for t in open_tasks(ticket))
    assert titles == ["P0003 " + customer("P0003").name + ": cancel sapphire to None",
                      "P0006 Holder P0006: grant no card to sapphire",
                      "P0007 Holder P0007: cancel sapphire to None"]
    review(ticket, {"P0003": True, "P0006": True, "P0007": True})
    assert customer("P0006").member_card == "sapphire" and customer("P0002").member_card == "emerald"
    assert customer_changes("P0006") == [("member_card", None, "sapphire")]


def test_a_screening_without_proposals_closes_at_once_and_says_so(app, fake_clock):
    ticket = run_screening(fake_clock, MONTHLY_DUE)  # the demo's holders all keep their cards monthly
    assert ticket.status == "closed" and (ticket.data["proposed"], ticket.data["changed"]) == (0, 0)
    assert [e.kind for e in tickets.history(ticket)] == ["created", "closed"]
    assert messages(ticket)[0] == ("process_message", "email", "manager")


def test_an_unanswered_review_breaches_its_sla(app, fake_clock):
    holder("P0009", "B", "sapphire", date(2022, 5, 1), "600.00", 16000)
    ticket = run_screening(fake_clock, MONTHLY_DUE)
    task, = open_tasks(ticket)
    assert task.due_at is not None
    fake_clock.current = task.due_at.replace(second=1)
    scheduler.sweep()
    db.session.refresh(task)
    assert task.sla_state == "breached"
    assert ("sla_breached", "email", "supervisor") in messages(ticket)


def test_a_screening_started_by_hand_in_a_city_branch_covers_that_city_and_names_who_changed_the_cards(app, fake_clock):
    """pudong (Pudong city branch) starts one without a reviewer after the month's date: only Pudong's card holders
    are screened and changed, and the history names pudong."""
    deployments.deploy(staff("supervisor"), diagram(manual_review=False),
                       [p.read_bytes() for p in sorted(BPMN.glob("member_review*.dmn"))])
    change("P0002", arpu="1200.00", points=60000)  # Pudong's emerald, 11 years: reaches diamond
    holder("P0009", "B", "sapphire", date(2022, 5, 1), "600.00", 16000)  # the province's: would reach emerald
    fake_clock.current = MONTHLY_DUE.replace(second=1)
    ticket = tickets.start_ticket(staff("pudong"), "member_review", "Pudong screening",
                                  data={"manual_review": False})
    assert (ticket.data["screened"], ticket.data["changed"]) == (1, 1)  # P0002 is Pudong's only card holder
    assert customer("P0009").member_card == "sapphire" and customer("P0002").member_card == "diamond"
    card_change = customers.history(customer("P0002"))[-1]
    assert (card_change.field, card_change.actor.username) == ("member_card", "pudong")
