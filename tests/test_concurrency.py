"""Races between requests: of people claiming one task at once exactly one wins, the others get 409 and change
nothing; ticket numbers are taken without holding a lock across the step."""

import threading

import pytest
from sqlalchemy import event

from engine import runtime, tickets
from engine.db import db
from engine.directory import branches, users
from engine.models import HumanTask, Ticket
from tests.process_library import kinds

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)
REPORT = {"service": "leased_line", "description": "Link down at the port office"}


def agents(count: int) -> list[str]:
    names = [f"claimer{i}" for i in range(count)]
    for name in names:
        users.create_user(name, "pw", ["agent"], branch=branches.by_code("SH"))
    db.session.commit()
    return names


def fault() -> tuple[int, int]:
    """A new red fault: its id and the id of its open 'accept the fault' task."""
    ticket = tickets.start_ticket(users.by_username("agent"), "red_fault", "Leased line down", data=REPORT)
    return ticket.id, ticket.tasks[0].id


def claim_in_threads(app, task_id: int, names: list[str], before=None) -> dict[str, int]:
    """Each user claims the task through the API in a thread of their own; the status each got."""
    bearer = {name: users.issue_token(users.by_username(name)) for name in names}
    statuses = {}

    def claim(name: str) -> None:
        response = app.test_client().post(f"/api/v1/tasks/{task_id}/claim",
                                          headers={"Authorization": f"Bearer {bearer[name]}"})
        statuses[name] = response.status_code
        if before:
            before(name)

    threads = [threading.Thread(target=claim, args=(name,), name=name) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def claims_on_record(ticket_id: int, task_id: int) -> tuple[list[str], str | None]:
    db.session.expire_all()
    task = db.session.get(HumanTask, task_id)
    return kinds(db.session.get(Ticket, ticket_id)), task.assignee.username if task.assignee else None


@BOTH
def test_a_claim_that_read_the_task_before_another_claim_committed_gets_409(app):
    """The later claimer read the task while it was free and the ticket after the first claim committed."""
    first, second = agents(2)
    ticket_id, task_id = fault()
    second_read, first_done = threading.Event(), threading.Event()

    def on_load(_task, _context):
        if threading.current_thread().name == second:
            second_read.set()
            first_done.wait(timeout=30)
        elif threading.current_thread().name == first:
            second_read.wait(timeout=30)

    event.listen(HumanTask, "load", on_load)
    try:
        statuses = claim_in_threads(app, task_id, [first, second],
                                    before=lambda name: name == first and first_done.set())
    finally:
        event.remove(HumanTask, "load", on_load)
    assert statuses == {first: 200, second: 409}
    history, holder = claims_on_record(ticket_id, task_id)
    assert holder == first and history.count("claimed") == 1


@BOTH
def test_of_eight_people_claiming_one_task_at_once_exactly_one_wins(app):
    names = agents(8)
    ticket_id, task_id = fault()
    statuses = claim_in_threads(app, task_id, names)
    winners = [name for name, status in statuses.items() if status == 200]
    assert len(winners) == 1 and sorted(statuses.values()) == [200] + [409] * 7
    history, holder = claims_on_record(ticket_id, task_id)
    assert holder == winners[0] and history.count("claimed") == 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_slow_start_does_not_hold_up_another_start_of_the_same_channel(app, fake_clock, monkeypatch):
    slow_running, fast_done = threading.Event(), threading.Event()
    original = runtime.advance

    def advance(workflow):
        if threading.current_thread().name == "slow":
            slow_running.set()
            fast_done.wait(timeout=30)  # the slow start holds its transaction open until the other one is through
        original(workflow)

    monkeypatch.setattr(runtime, "advance", advance)
    numbers = {}

    def start(name: str) -> None:
        with app.app_context():
            try:
                numbers[name] = tickets.start_ticket(users.by_username("agent"), "red_fault", name, data=REPORT).number
            finally:
                db.session.remove()
                if name == "fast":
                    fast_done.set()

    slow = threading.Thread(target=start, args=("slow",), name="slow")
    slow.start()
    assert slow_running.wait(timeout=30)
    fast = threading.Thread(target=start, args=("fast",), name="fast")
    fast.start()
    fast.join(timeout=20)
    finished_while_slow_was_open = not fast.is_alive()
    fast_done.set()
    slow.join(timeout=30)
    fast.join(timeout=30)
    assert finished_while_slow_was_open
    assert numbers == {"slow": "R-2026-000001", "fast": "R-2026-000002"}
