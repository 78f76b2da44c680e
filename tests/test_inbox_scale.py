"""The inbox and the task list stay cheap as open tasks grow: a constant number of statements per page, no
workflow blob read, the due-time order with unknown due times last, counts that stop at a cap, and the indexes
that serve the first page of each view."""

import re
from datetime import timedelta
from uuid import uuid4

import pytest
from flask import url_for
from flask_babel import force_locale
from sqlalchemy import event, insert, select, text, update

from engine import clock, inbox, tickets
from engine.db import db
from engine.directory import branches, users
from engine.models import HumanTask, Ticket, UserRole
from tests.statements import statements_of
from tests.web_data import copy_ticket_columns, open_task, red_ticket
from web import i18n, inbox_pages

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])



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


def copies(task: HumanTask, n: int, **values) -> None:
    """n more tasks like `task` (same ticket), written straight to the table: only the counts read them."""
    row = {column: getattr(task, column) for column in ("ticket_id", "element_id", "name", "role", "state",
                                                          "priority", "created_at", "due_at", *HumanTask.TICKET_COPIES)}
    db.session.execute(insert(HumanTask), [{**row, **values, "spiff_task_id": str(uuid4())} for _ in range(n)])
    db.session.commit()


@BOTH
def test_a_view_counts_99_and_then_99_plus(staff, backend):
    copies(open_task(red_ticket()), 98)
    agent = staff("agent")
    assert inbox.counts(users.by_username("agent")) == {"mine": 0, "queues": 99}
    assert 'data-count="queues">99<' in agent.get("/inbox/list?view=queues").get_data(as_text=True)
    red_ticket()
    assert inbox.counts(users.by_username("agent"))["queues"] == 100  # where it stops: it reads no further
    red_ticket()
    assert inbox.counts(users.by_username("agent"))["queues"] == 100
    assert 'data-count="queues">99+<' in agent.get("/inbox/list?view=queues").get_data(as_text=True)


def two_queue_tasks() -> dict[str, int]:
    """The agent also works the tech queue and holds a billing task: tasks of three roles, due at known times."""
    agent = users.by_username("agent")
    agent.roles.append(UserRole(role="tech"))
    task, now = open_task(red_ticket()), clock.now()
    hours = lambda n: now + timedelta(hours=n)  # noqa: E731
    due = {"agent late": ("agent", None, hours(3)), "tech soon": ("tech", None, hours(1)),
           "billing held": ("billing", agent.id, hours(2)), "tech undated": ("tech", None, None),
           "billing not held": ("billing", None, now), "tech held by another": ("tech", users.by_username("tech").id,
                                                                                hours(4))}
    for name, (role, holder, at) in due.items():
        copies(task, 1, name=name, role=role, assignee_id=holder, state="claimed" if holder else "open", due_at=at)
    db.session.execute(update(HumanTask).where(HumanTask.id == task.id).values(state="completed"))
    db.session.commit()
    return {name: db.session.scalar(select(HumanTask.id).where(HumanTask.name == name)) for name in due}


@BOTH
def test_the_task_list_takes_each_queue_and_what_one_holds_of_other_roles_in_due_order(app, backend):
    ids = two_queue_tasks()
    agent = users.by_username("agent")
    listed = lambda **filters: [line.id for line in inbox.tasks_for(agent, **filters)]  # noqa: E731
    order = ["tech soon", "billing held", "agent late", "tech held by another", "tech undated"]
    assert listed() == [ids[name] for name in order]
    assert listed(limit=2, offset=1) == [ids["billing held"], ids["agent late"]]
    assert listed(role="tech") == [ids["tech soon"], ids["tech held by another"], ids["tech undated"]]
    assert listed(role="billing") == [ids["billing held"]]
    assert listed(mine=True) == [ids["billing held"]]
    assert listed(state="claimed") == [ids["billing held"], ids["tech held by another"]]
    line = inbox.tasks_for(agent, role="billing")[0]
    assert (line.ticket.id, line.assignee.username, line.role) == (line.ticket_id, "agent", "billing")
    queues = [ids["tech soon"], ids["agent late"], ids["tech undated"]]  # open tasks of the agent's two roles
    assert [row.task_id for row in inbox.inbox(agent, view="queues")] == queues
    assert [row.task_id for row in inbox.inbox(agent, view="queues", limit=2)] == queues[:2]
    assert [row.task_id for row in inbox.inbox(agent, view="queues", sort="age")] == [ids["agent late"], *queues[::2]]


def plan_of(call, analyze: bool = False) -> str:
    """PostgreSQL's plan for the one statement `call` sends (the branch scope is read by a first call); with
    ``analyze``, as run, with the pages it read."""
    call()
    sent = []
    listener = lambda _c, _cur, sql, params, _ctx, _many: sent.append((sql, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    call()
    event.remove(db.engine, "before_cursor_execute", listener)
    (sql, params), = sent
    explain = "EXPLAIN (ANALYZE, BUFFERS)" if analyze else "EXPLAIN"
    return "\n".join(db.session.connection().exec_driver_sql(f"{explain} {sql}", params).scalars())


def pages_read(plan: str) -> int:
    """The buffers the whole statement touched: the first (the top node's) Buffers line of an analyzed plan."""
    return sum(int(n) for n in re.findall(r"=(\d+)", re.search(r"Buffers: (.*)", plan).group(1)))


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_mine_and_the_about_to_breach_strip_walk_their_own_index_among_20000_open_tasks(app, backend):
    """At 20,000 open tasks, 2,000 of them the agent's and 200 in SLA warning, PostgreSQL reads Mine's first page
    and the supervisors' strip from their partial indexes (in due order, no sort of all the agent's tasks)."""
    task = open_task(red_ticket())
    db.session.execute(text("""
        INSERT INTO human_tasks (ticket_id, spiff_task_id, element_id, name, role, assignee_id, state, priority,
                                 sla_state, created_at, due_at)
        SELECT :ticket, gen_random_uuid()::text, 'accept_fault', 'Accept the fault', 'agent',
               CASE WHEN i % 10 = 0 THEN :agent END, CASE WHEN i % 10 = 0 THEN 'claimed' ELSE 'open' END, 'normal',
               CASE WHEN i % 100 = 1 THEN 'warned' END, now(), now() + i * interval '1 minute'
        FROM generate_series(1, 20000) AS i
        """), {"ticket": task.ticket_id, "agent": users.by_username("agent").id})
    copy_ticket_columns()
    db.session.execute(text("ANALYZE"))  # statistics as autovacuum keeps them on a live database
    agent, supervisor = users.by_username("agent"), users.by_username("supervisor")
    mine = plan_of(lambda: inbox.inbox(agent, view="mine", limit=51))
    assert "ix_human_tasks_mine_due" in mine and "Sort" not in mine
    strip = plan_of(lambda: inbox.inbox(supervisor, view="team", sla="warning", limit=5))
    assert "ix_human_tasks_warned_due" in strip
    assert len(inbox.inbox(supervisor, view="team", sla="warning", limit=5)) == 5


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
@pytest.mark.parametrize("tech, agent", [(20_000, 2_000), (12_000, 12_000)])
def test_a_queue_s_first_page_walks_its_role_s_index_when_tasks_of_another_role_are_due_sooner(app, backend, tech,
                                                                                              agent):
    """Agent tasks behind overdue tech tasks: walking the due-time order of all open tasks and filtering by role
    would read the tech tasks before the agent's first one; sorting by due time all the open tasks of a role would
    read all of the agent's. The first page reads its own rows, for a person of one queue or of two; also where the
    queue is half of all open tasks, where PostgreSQL's statistics make one walk of all open tasks look cheaper than
    the role's index (engine.inbox._one_value)."""
    task = open_task(red_ticket())
    db.session.execute(text("""
        INSERT INTO human_tasks (ticket_id, spiff_task_id, element_id, name, role, state, priority, created_at, due_at)
        SELECT :ticket, gen_random_uuid()::text, 'diagnose', 'Diagnose', CASE WHEN i <= :tech THEN 'tech' ELSE 'agent'
               END, 'open', 'normal', now(), now() - interval '1 day' + i * interval '1 minute'
        FROM generate_series(1, :tech + :agent) AS i
        """), {"ticket": task.ticket_id, "tech": tech, "agent": agent})
    copy_ticket_columns()
    db.session.execute(text("ANALYZE"))
    soonest = list(db.session.scalars(select(HumanTask.id).where(HumanTask.role == "agent")
                                      .order_by(*inbox.BY_DUE).limit(20)))
    agent = users.by_username("agent")
    for roles in (["agent"], ["agent", "billing"]):  # one queue, and a person of two
        agent.roles = [UserRole(role=role) for role in roles]
        db.session.commit()
        for plan in (plan_of(lambda: inbox.tasks_for(agent, limit=20), analyze=True),
                     plan_of(lambda: inbox.inbox(agent, view="queues", limit=20), analyze=True)):
            assert "ix_human_tasks_active_due" not in plan
            assert pages_read(plan) < 300, plan  # one walk of all open tasks reads the tech tasks' pages first
        assert [line.id for line in inbox.tasks_for(agent, limit=20)] == soonest
        assert [row.task_id for row in inbox.inbox(agent, view="queues", limit=20)] == soonest


@BOTH
def test_the_team_view_sends_as_many_statements_for_tickets_of_three_branches_as_of_one(staff, backend):
    supervisor = staff("supervisor")
    red_ticket(customer_code="G0001")  # Pudong
    one_branch = len(statements_of(lambda: supervisor.get("/inbox/list?view=team")))
    red_ticket(customer_code="G0004")  # Minhang
    red_ticket(customer_code="G0002")  # the provincial branch
    assert len(statements_of(lambda: supervisor.get("/inbox/list?view=team"))) == one_branch
    page = supervisor.get("/inbox/list?view=team").get_data(as_text=True)
    offered = {row.split('data-assign="')[1].split('"')[0]: row for row in page.split("<select")[2:]}
    assert len(offered) == 3  # each row offers whom its branch allows: Minhang's agent only on Minhang's ticket
    assert sum("Feng Yan (Minhang service agent)" in choices for choices in offered.values()) == 1
    assert sum("Zheng Hui (Pudong account manager)" in choices for choices in offered.values()) == 1
    assert all("Li Na (service agent)" in choices for choices in offered.values())


def test_a_row_link_is_the_url_url_for_builds(app):
    query = {"view": "queues", "customer": "港 & {x}", "shown": 100}
    with app.test_request_context("/inbox"):
        for task_id in (1, 42, 2147483646):
            assert inbox_pages.RowLink("inbox.take", "task_id", action="claim", **query)(task_id) == \
                url_for("inbox.take", task_id=task_id, action="claim", **query)
            assert inbox_pages.RowLink("tickets.show", "ticket_id")(task_id) == url_for("tickets.show",
                                                                                         ticket_id=task_id)


def test_ages_and_countdowns_read_in_english_and_in_chinese(staff, fake_clock):
    red_ticket()  # "Accept the fault" is due in 10 minutes
    fake_clock.advance(minutes=25)
    agent = staff("agent")
    page = agent.get("/inbox/list?view=queues").get_data(as_text=True)
    assert "late 15m" in page and ">25m<" in page
    users.by_username("agent").locale = "zh_CN"
    db.session.commit()
    page = agent.get("/inbox/list?view=queues").get_data(as_text=True)
    assert "超时 15分钟" in page and ">25分钟<" in page


def test_a_task_of_no_branch_is_offered_to_those_of_the_top_branch_only(app):
    users.create_user("hq_agent", "demo", ["agent"], "Qin Lan (headquarters agent)", branch=branches.by_code("HQ"))
    nowhere, pudong = open_task(red_ticket()), open_task(red_ticket())  # G0001: the Pudong branch
    db.session.execute(update(Ticket).where(Ticket.id == nowhere.ticket_id).values(branch_id=None))
    db.session.commit()
    rows = inbox.inbox(users.by_username("admin"), view="team")
    people = inbox.holders(rows)
    offered = {row.task_id: [person.username for person in people[(row.role, row.branch_id)]] for row in rows}
    assert offered[nowhere.id] == ["hq_agent"]
    assert {"hq_agent", "agent", "pudong"} <= set(offered[pudong.id]) and "minhang" not in offered[pudong.id]


def test_words_kept_for_a_request_follow_a_force_locale_block(app, fake_clock):
    """The modeller's preview renders in both languages in one request: each gets its own words."""
    due = fake_clock.now() - timedelta(minutes=15)
    with app.test_request_context("/"):
        with force_locale("en"):
            english = (i18n.term("open"), i18n.countdown(due))
        with force_locale("zh_CN"):
            chinese = (i18n.term("open"), i18n.countdown(due))
        with force_locale("en"):
            again = (i18n.term("open"), i18n.countdown(due))
    assert english == again == ("open", "late 15m")
    assert chinese[1] == "超时 15分钟" and chinese[0] != "open"
