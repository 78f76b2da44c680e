"""Branches scope what staff see: their branch and the ones below; headquarters all; an unplaced account nothing.

Demo data: headquarters (admin, hq, vp) > Shanghai province (the other demo users) > the Pudong city
branch (user pudong; customers G0001, G0003, P0002) and the Minhang city branch (user minhang;
G0004, P0001). G0002 and P0003 belong to the province itself. Every test runs on SQLite and PostgreSQL.
"""

import pytest
from sqlalchemy import select

from engine import customers, deployments, inbox, tickets
from engine.db import db
from engine.directory import branches, users
from engine.errors import InvalidInput, NotFound
from engine.models import Customer, User
from notifications.outbox import OutboxMessage
from tests.bpmn_samples import service_step, simple
from tests.test_tickets import ACCEPT, REPORT

pytestmark = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                                     indirect=True)
PUDONG = {"G0001", "G0003", "P0002"}
MINHANG = {"G0004", "P0001"}
ALL = PUDONG | MINHANG | {"G0002", "P0003"}


def staff(name: str) -> User:
    return users.by_username(name)


def unplaced() -> User:
    user = users.create_user("newcomer", "pw", ["agent", "supervisor"])
    db.session.commit()
    return user


def customer(code: str) -> Customer:
    return db.session.scalar(select(Customer).where(Customer.code == code))


def codes(found) -> set[str]:
    return {c.code for c in found}


def fault(code: str, by: str = "agent"):
    return tickets.start_ticket(staff(by), "red_fault", "Leased line down", customer_id=customer(code).id, data=REPORT)


def test_each_user_sees_their_branch_and_the_ones_below(app):
    ids = {code: branches.by_code(code).id for code in ("HQ", "SH", "SH-PD", "SH-MH")}
    assert branches.visible_ids(staff("hq")) is None  # everything, records of no branch included
    assert branches.visible_ids(staff("supervisor")) == {ids["SH"], ids["SH-PD"], ids["SH-MH"]}
    assert branches.visible_ids(staff("pudong")) == {ids["SH-PD"]}
    assert branches.visible_ids(unplaced()) == set()
    assert [b.code for b in branches.listing(staff("supervisor"))] == ["SH", "SH-MH", "SH-PD"]


def test_customer_search_holds_only_the_customers_of_ones_branches(app):
    assert codes(customers.search(staff("pudong"))) == PUDONG
    assert codes(customers.search(staff("minhang"))) == MINHANG
    assert codes(customers.search(staff("agent"))) == ALL
    assert codes(customers.search(unplaced())) == set()
    db.session.add(Customer(code="X0001", name="Unplaced Co.", kind="group", tier="C"))
    db.session.commit()
    assert codes(customers.search(staff("hq"))) == ALL | {"X0001"}
    assert "X0001" not in codes(customers.search(staff("supervisor")))


def test_a_customer_outside_ones_branches_does_not_exist_for_one(app):
    pudong_customer = customer("G0001").id
    assert customers.get(pudong_customer, staff("pudong")).code == "G0001"
    with pytest.raises(NotFound) as outside:
        customers.get(pudong_customer, staff("minhang"))
    with pytest.raises(NotFound) as missing:
        customers.get(10**6, staff("minhang"))
    assert str(outside.value) == f"no customer {pudong_customer}" and str(missing.value) == "no customer 1000000"
    with pytest.raises(NotFound):
        customers.update(staff("minhang"), pudong_customer, {"tier": "C"}, "not mine")
    db.session.rollback()
    assert customer("G0001").tier == "A+"


def test_a_ticket_belongs_to_its_customers_branch_or_else_to_its_creators(app):
    assert fault("G0001").branch.code == "SH-PD"
    assert fault("P0003").branch.code == "SH"
    no_customer = tickets.start_ticket(staff("minhang"), "red_fault", "Line down", data=REPORT)
    assert no_customer.branch.code == "SH-MH"


def test_ticket_lists_and_reads_are_scoped(app):
    pudong_ticket, minhang_ticket = fault("G0001"), fault("G0004")
    assert [t.id for t in inbox.tickets(staff("pudong"))] == [pudong_ticket.id]
    assert [t.id for t in inbox.tickets(staff("agent"))] == [minhang_ticket.id, pudong_ticket.id]
    assert [t.id for t in inbox.tickets(staff("agent"), customer_id=customer("G0004").id)] == [minhang_ticket.id]
    assert inbox.tickets(unplaced()) == []
    assert tickets.get_ticket(pudong_ticket.id, staff("pudong")) is pudong_ticket
    with pytest.raises(NotFound, match=f"no ticket {pudong_ticket.id}"):
        tickets.get_ticket(pudong_ticket.id, staff("minhang"))


def test_the_inbox_holds_only_tasks_of_tickets_within_ones_branches(app):
    pudong_ticket, minhang_ticket = fault("G0001"), fault("G0004")
    both_agents = {"pudong": pudong_ticket, "minhang": minhang_ticket}
    for name, ticket in both_agents.items():  # both have the agent role; each sees their own city's task
        assert [t.ticket_id for t in inbox.tasks_for(staff(name))] == [ticket.id]
    assert {t.ticket_id for t in inbox.tasks_for(staff("agent"))} == {pudong_ticket.id, minhang_ticket.id}


def test_no_one_works_a_task_outside_their_branches(app):
    ticket = fault("G0001")
    task_id = ticket.tasks[0].id
    minhang = staff("minhang")
    for attempt in (lambda: tickets.get_task(task_id, minhang), lambda: tickets.claim(minhang, task_id),
                    lambda: tickets.complete(minhang, task_id, ACCEPT), lambda: tickets.unclaim(minhang, task_id),
                    lambda: tickets.comment(minhang, ticket.id, "peek"),
                    lambda: tickets.pause(minhang, ticket.id, "peek")):
        with pytest.raises(NotFound):
            attempt()
    assert [e.kind for e in tickets.history(ticket)] == ["created", "task_created", "customer_notified"]
    tickets.claim(staff("pudong"), task_id)
    assert ticket.tasks[0].assignee.username == "pudong"


def test_a_task_is_assigned_only_to_someone_who_sees_its_ticket(app):
    task_id = fault("G0001").tasks[0].id
    with pytest.raises(InvalidInput, match="minhang works in a branch that does not see ticket"):
        tickets.assign(staff("supervisor"), task_id, "minhang")
    assert tickets.assign(staff("supervisor"), task_id, "pudong").assignee.username == "pudong"


def test_a_ticket_is_opened_only_for_a_customer_one_sees(app):
    with pytest.raises(InvalidInput) as caught:
        fault("G0001", by="minhang")
    assert caught.value.details == [{"field": "customer_id", "message": f"no customer {customer('G0001').id}"}]
    assert inbox.tickets(staff("hq")) == []


def test_role_messages_reach_only_members_who_see_the_ticket(app):
    step = service_step("notify_role", {"role": "'agent'", "subject": "'Port office down'", "body": "'Check it'"})
    deployments.deploy(staff("supervisor"), simple(key="alert", step=step))
    tickets.start_ticket(staff("agent"), "alert", "Alert", customer_id=customer("G0004").id)
    recipients = db.session.scalars(select(User.username).join(OutboxMessage, OutboxMessage.recipient_id == User.id))
    assert set(recipients) == {"agent", "minhang"}  # not pudong, also an agent


@pytest.mark.parametrize("level, parent, message", [
    ("city", "HQ", "a city branch sits under a province branch"),
    ("province", None, "a province branch sits under a hq branch"),
    ("hq", "SH", "a hq branch sits under no other branch"),
    ("hq", None, "the organisation has one headquarters already (HQ): give the branch a parent"),
])
def test_branches_nest_in_three_levels(app, level, parent, message):
    with pytest.raises(InvalidInput) as caught:
        branches.create("NEW", "New branch", level, branches.by_code(parent) if parent else None)
    [problem] = caught.value.details
    assert (problem["field"], problem["message"]) == ("parent", message) and problem["message_zh"]


def test_a_branch_code_is_unique_and_a_new_city_is_seen_from_above(app):
    with pytest.raises(InvalidInput, match="code"):
        branches.create("SH-PD", "Pudong again", "city", branches.by_code("SH"))
    city = branches.create("SH-JD", "Jiading City Branch", "city", branches.by_code("SH"))
    db.session.commit()
    assert branches.can_see(staff("supervisor"), city.id) and not branches.can_see(staff("pudong"), city.id)


def test_the_inbox_views_and_their_counts_hold_only_tickets_within_ones_branches(app):
    pudong_ticket, minhang_ticket = fault("G0001"), fault("G0004")
    tickets.claim(staff("pudong"), pudong_ticket.tasks[0].id)
    assert [row.ticket_id for row in inbox.inbox(staff("pudong"), view="mine")] == [pudong_ticket.id]
    assert [row.ticket_id for row in inbox.inbox(staff("minhang"), view="queues")] == [minhang_ticket.id]
    assert inbox.counts(staff("minhang")) == {"mine": 0, "queues": 1}
    assert inbox.counts(staff("supervisor"))["team"] == 2
    newcomer = unplaced()
    assert inbox.inbox(newcomer, view="team") == [] and inbox.counts(newcomer)["team"] == 0


def test_the_customer_picker_offers_only_customers_of_ones_branches(app):
    assert codes(inbox.search_customers(staff("minhang"), "G000")) == {"G0004"}
    assert codes(inbox.search_customers(staff("agent"), "G000")) == {"G0001", "G0002", "G0003", "G0004"}
    assert inbox.search_customers(staff("agent"), "  ") == []
