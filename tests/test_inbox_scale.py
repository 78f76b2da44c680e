"""The inbox and the task list stay cheap as open tasks grow: a constant number of statements per page, no
workflow blob read, the due-time order with unknown due times last, and counts that stop at a cap."""

from datetime import timedelta

import pytest
from sqlalchemy import event, update

from engine import clock, inbox, tickets
from engine.db import db
from engine.directory import users
from engine.models import HumanTask
from tests.web_data import open_task, red_ticket
from web import inbox_pages

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])


def statements_of(request) -> list[str]:
    """The SQL statements one request sends, starting from an empty session as a request in production does (the
    test's session would otherwise still hold what earlier requests read)."""
    db.session.expunge_all()
    sent: list[str] = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert request().status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return sent


def claimed_faults(n: int) -> None:
    """n red-channel faults whose first task the agent holds: each row then has a ticket and an assignee to show."""
    agent = users.by_username("agent")
    for _ in range(n):
        tickets.claim(agent, open_task(red_ticket()).id)


@BOTH
def test_the_task_list_and_the_inbox_send_as_many_statements_for_many_rows_as_for_few(api, staff):
    agent = staff("agent")
    pages = {"api": lambda: api("get", "/tasks", "agent"),
             "mine": lambda: agent.get("/inbox/list?view=mine"),
             "queues": lambda: agent.get("/inbox/list?view=queues")}
    claimed_faults(2)
    red_ticket()
    few = {name: statements_of(page) for name, page in pages.items()}
    claimed_faults(6)
    for _ in range(5):
        red_ticket()
    many = {name: statements_of(page) for name, page in pages.items()}
    assert {name: len(sent) for name, sent in many.items()} == {name: len(sent) for name, sent in few.items()}
    assert len(api("get", "/tasks", "agent").get_json()["tasks"]) == 14
    for sent in many.values():
        assert not [sql for sql in sent if "workflow_state" in sql]  # the ~10 KB blob is never read for a list


@BOTH
def test_the_soonest_due_come_first_and_tasks_without_a_due_time_last(api, staff):
    ids = [open_task(red_ticket(f"fault {i}")).id for i in range(5)]
    now = clock.now()
    due = {ids[0]: now + timedelta(hours=3), ids[1]: None, ids[2]: now + timedelta(hours=1), ids[3]: None,
           ids[4]: now + timedelta(hours=2)}
    for task_id, at in due.items():
        db.session.execute(update(HumanTask).where(HumanTask.id == task_id).values(due_at=at))
    db.session.commit()
    expected = [ids[2], ids[4], ids[0], ids[1], ids[3]]  # by due time, then the unknown ones by id
    assert [t["id"] for t in api("get", "/tasks", "agent").get_json()["tasks"]] == expected
    assert [row.task_id for row in inbox.inbox(users.by_username("agent"), view="queues")] == expected
    page = staff("agent").get("/inbox/list?view=queues").get_data(as_text=True)
    assert [page.index(f'data-task="{i}"') for i in expected] == sorted(page.index(f'data-task="{i}"') for i in ids)


def test_a_view_counts_up_to_the_cap_and_shows_more_as_a_plus(staff, monkeypatch):
    monkeypatch.setattr(inbox, "COUNT_CAP", 3)
    for _ in range(4):
        red_ticket()
    agent = users.by_username("agent")
    assert inbox.counts(agent) == {"mine": 0, "queues": 3}
    page = staff("agent").get("/inbox/list?view=queues").get_data(as_text=True)
    assert 'data-count="queues">2+<' in page and 'data-count="mine">0<' in page
    monkeypatch.setattr(inbox, "COUNT_CAP", 5)
    assert inbox.counts(agent) == {"mine": 0, "queues": 4}


def test_the_list_shows_a_first_page_and_more_on_demand(staff, monkeypatch):
    monkeypatch.setattr(inbox_pages, "PAGE_ROWS", 2)
    numbers = [red_ticket(f"fault {i}").number for i in range(5)]
    agent = staff("agent")
    first = agent.get("/inbox/list?view=queues").get_data(as_text=True)
    assert [n for n in numbers if n in first] == numbers[:2]
    assert 'data-action="more"' in first and "shown=4" in first
    longer = agent.get("/inbox/list?view=queues&shown=4").get_data(as_text=True)
    assert [n for n in numbers if n in longer] == numbers[:4] and "shown=6" in longer
    everything = agent.get("/inbox?view=queues&shown=6").get_data(as_text=True)
    assert [n for n in numbers if n in everything] == numbers and 'data-action="more"' not in everything
    for wrong in ("abc", "-3", "1"):  # anything but a number above the page size is the first page
        page = agent.get(f"/inbox/list?view=queues&shown={wrong}").get_data(as_text=True)
        assert [n for n in numbers if n in page] == numbers[:2]
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    assert "显示更多" in agent.get("/inbox/list?view=queues").get_data(as_text=True)
