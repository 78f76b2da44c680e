"""Live events: written by the step that causes them (and gone with it when it rolls back), read by the people
whose inbox the task is in, within their branches, in commit order, from a position; purged after an hour."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import scheduler, tickets
from engine.db import db
from engine.directory import user_admin, users
from engine.live import events
from engine.live.models import LiveEvent
from tests.web_data import colleague, open_task, red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)


def notices(username: str, after=(0, 0)) -> list[tuple[str, str]]:
    """(kind, ticket number) of what ``username`` would be told after ``after``."""
    found, _reached = events.read(events.Reader.of(users.by_username(username)), after)
    return [(n["kind"], n["ticket"]["number"]) for n in found]


@BOTH
def test_a_new_task_reaches_its_roles_queue_within_the_tickets_branches_only(app, fake_clock):
    pudong_ticket = red_ticket(customer_code="G0001", by="manager")  # a Pudong customer
    minhang_ticket = red_ticket(customer_code="G0004", by="manager")  # a Minhang customer
    fake_clock.advance(seconds=11)  # settled on PostgreSQL even while another database's transaction runs long
    assert notices("agent") == [("queued", pudong_ticket.number), ("queued", minhang_ticket.number)]  # province
    assert notices("pudong") == [("queued", pudong_ticket.number)]  # an agent of the Pudong branch
    assert notices("minhang") == [("queued", minhang_ticket.number)]  # ... and of the Minhang branch
    assert notices("tech") == []  # not the task's role
    assert notices("manager") == []  # their own step: they know


def test_what_the_notice_says(app):
    ticket = red_ticket(by="manager")
    [notice], _ = events.read(events.Reader.of(users.by_username("agent")), (0, 0))
    task = open_task(ticket)
    assert notice["kind"] == "queued" and notice["id"] == f"0-{db.session.scalar(select(func.max(LiveEvent.id)))}"
    assert notice["task"] == {"id": task.id, "name": "Accept the fault", "name_zh": task.name_zh,
                              "priority": "normal", "due_at": task.due_at.isoformat()}
    assert notice["ticket"] == {"id": ticket.id, "number": ticket.number, "title": "Leased line down",
                                "channel": "red"}


def test_a_rolled_back_step_sends_nothing(app):
    manager = users.by_username("manager")
    with pytest.raises(RuntimeError), tickets.step():
        tickets.open_ticket(manager, tickets.deployments.latest_version("red_fault"), "never opened",
                            data={"service": "leased_line", "description": "x"})
        raise RuntimeError("the step fails after its task was made")
    assert db.session.scalar(select(func.count()).select_from(LiveEvent)) == 0
    assert notices("agent") == []


def test_an_assigned_task_is_told_to_its_new_holder_alone(app):
    colleague("agent", "agent2")
    ticket = red_ticket(by="manager")
    after = events.horizon()
    tickets.assign(users.by_username("supervisor"), open_task(ticket).id, "agent2")
    assert notices("agent2", after) == [("assigned", ticket.number)]
    assert notices("agent", after) == []  # the same role, but the task is not in their queue any more
    tickets.unclaim(users.by_username("agent2"), open_task(ticket).id)
    assert notices("agent", after) == [("queued", ticket.number)]  # given back: in the queue again
    assert notices("agent2", after) == [("assigned", ticket.number)]  # not told of their own step


def test_the_scheduler_tells_the_holder_of_a_warning_and_a_breach(app, fake_clock):
    ticket = red_ticket(by="manager")
    tickets.claim(users.by_username("agent"), open_task(ticket).id)
    after = events.horizon()
    fake_clock.advance(minutes=9)  # "Accept the fault": response 10 min (met at the claim), resolution 10 min
    while tickets.fire_due_timer(set()):
        pass
    assert notices("agent", after) == [("warning", ticket.number)]
    fake_clock.advance(minutes=2)
    while tickets.fire_due_timer(set()):
        pass
    assert notices("agent", after) == [("warning", ticket.number), ("breach", ticket.number)]
    assert notices("minhang", after) == []  # an agent, but the ticket is not of their branch


def test_a_reader_goes_on_from_the_position_it_reached(app):
    first = red_ticket(by="manager")
    reader = events.Reader.of(users.by_username("agent"))
    told, reached = events.read(reader, (0, 0))
    assert [n["ticket"]["number"] for n in told] == [first.number]
    assert events.read(reader, reached) == ([], reached)
    second = red_ticket(by="manager")
    told, _ = events.read(reader, reached)
    assert [n["ticket"]["number"] for n in told] == [second.number]


def test_a_position_moves_past_events_the_reader_may_not_see(app):
    red_ticket(customer_code="G0004", by="manager")  # Minhang's
    told, reached = events.read(events.Reader.of(users.by_username("pudong")), (0, 0))
    assert told == [] and reached == events.horizon() != (0, 0)


def test_a_read_stops_at_its_batch_and_the_next_one_goes_on(app):
    numbers = [red_ticket(by="manager").number for _ in range(3)]
    reader = events.Reader.of(users.by_username("agent"))
    told, reached = events.read(reader, (0, 0), limit=2)
    rest, _ = events.read(reader, reached, limit=2)
    assert [n["ticket"]["number"] for n in told + rest] == numbers


def slow_step(task_id: int) -> Session:
    """A step of its own session that has written a live event and not committed yet."""
    slow = Session(db.engine)
    slow.add(LiveEvent(kind="queued", task_id=task_id, role="agent", created_at=events.clock.now()))
    slow.flush()
    return slow


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_event_committed_after_a_later_one_is_not_passed_over(app, fake_clock):
    """The first step writes its event, the second writes and commits its own, then the first commits. A reader in
    between must not move past the first step's event: the second one waits until the first step has ended."""
    agent = events.Reader.of(users.by_username("agent"))
    start = events.horizon()
    waiting = open_task(red_ticket(by="manager"))
    fake_clock.advance(seconds=11)
    slow = slow_step(waiting.id)
    fast = red_ticket(by="manager")  # a later step commits first
    told, reached = events.read(agent, start)
    assert [n["task"]["id"] for n in told] == [waiting.id]  # the ticket's own "queued", settled before
    assert events.read(agent, reached)[0] == []  # the fast step's event waits behind the open one
    slow.commit()
    slow.close()
    fake_clock.advance(seconds=11)  # (settled now, whatever runs in the other databases of the server)
    told, _ = events.read(agent, reached)
    assert [(n["task"]["id"], n["ticket"]["number"]) for n in told] == [(waiting.id, waiting.ticket.number),
                                                                        (open_task(fast).id, fast.number)]


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_step_open_longer_than_the_grace_delays_the_others_no_longer(app, fake_clock):
    agent = events.Reader.of(users.by_username("agent"))
    start = events.horizon()
    slow = slow_step(open_task(red_ticket(by="manager")).id)
    fast = red_ticket(by="manager")
    fake_clock.advance(seconds=5)
    assert fast.number not in [n["ticket"]["number"] for n in events.read(agent, start)[0]]
    fake_clock.advance(seconds=6)
    assert fast.number in [n["ticket"]["number"] for n in events.read(agent, start)[0]]
    slow.rollback()
    slow.close()


def test_events_older_than_an_hour_are_purged(app, fake_clock):
    red_ticket(by="manager")
    fake_clock.advance(minutes=50)
    kept = red_ticket(by="manager")
    fake_clock.advance(minutes=20)
    assert events.purge() == 1
    db.session.commit()
    assert notices("agent") == [("queued", kept.number)]


def test_a_deactivated_users_tasks_go_back_to_their_queue_with_a_notice(app):
    colleague("agent", "agent2")
    ticket = red_ticket(by="manager")
    tickets.claim(users.by_username("agent2"), open_task(ticket).id)
    after = events.horizon()
    user_admin.update(users.by_username("admin"), "agent2", {"active": False})
    db.session.commit()
    assert notices("agent", after) == [("queued", ticket.number)]


def test_the_scheduler_job_purges_old_events(app, fake_clock):
    red_ticket(by="manager")
    fake_clock.advance(hours=2)
    scheduler.live_purge_job(app)
    assert db.session.scalar(select(func.count()).select_from(LiveEvent)) == 0
