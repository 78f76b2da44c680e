"""The step's append-only rows and fact upserts (engine.step_rows): written with the step's commit as plain values,
seen by an autoflushing query, dropped by a rollback; on PostgreSQL all tables in one statement."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, inspect, select, text
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine import audit, report_facts, step_rows, tickets
from engine.db import db
from engine.directory import users
from engine.errors import Conflict
from engine.live.models import LiveEvent
from engine.models import HumanTask, SlaClock, TaskFact, Ticket, TicketEvent, TicketFact, Timer
from tests.web_data import open_task, red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
                               indirect=True)


def lines(ticket_id: int, kind: str) -> list[TicketEvent]:
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                                             TicketEvent.kind == kind)))


@BOTH
def test_a_line_is_written_with_its_values_its_time_and_the_ids_of_the_objects_it_names(app, fake_clock):
    agent, ticket = users.by_username("agent"), red_ticket()
    ids = (agent.id, ticket.id, open_task(ticket).id)
    at = fake_clock.advance(microseconds=250)
    audit.record(ticket, agent, "comment", open_task(ticket), text="线路中断", nested={"a": [1, 2]})
    db.session.commit()
    db.session.expunge_all()
    [line] = lines(ids[1], "comment")
    assert (line.actor_id, line.ticket_id, line.task_id) == ids
    assert (line.data, line.at) == ({"text": "线路中断", "nested": {"a": [1, 2]}}, at)


@BOTH
def test_a_step_that_fails_writes_none_of_its_rows(app):
    ticket = red_ticket()
    with pytest.raises(RuntimeError), tickets.step():
        audit.record(db.session.get(Ticket, ticket.id), None, "comment", text="never")
        raise RuntimeError("the step fails")
    db.session.commit()  # a later commit finds nothing queued
    assert lines(ticket.id, "comment") == []


@BOTH
def test_a_query_that_autoflushes_sees_the_rows_queued_before_it(app):
    ticket = red_ticket()
    audit.record(ticket, None, "comment", text="queued")
    assert [line.data["text"] for line in lines(ticket.id, "comment")] == ["queued"]
    db.session.rollback()
    assert lines(ticket.id, "comment") == []


@BOTH
def test_a_query_before_the_flush_gives_the_objects_the_rows_name_their_ids_first(app):
    """The history line of a ticket not flushed yet, then a query: the ticket is written before its line."""
    agent, ticket = users.by_username("agent"), red_ticket()
    fresh = Ticket(number="T-NEW-2", channel=ticket.channel, process_version=ticket.process_version,
                   title="New", creator=agent, priority="normal", status="open", data={})
    db.session.add(fresh)
    audit.record(fresh, agent, "created")
    assert db.session.scalars(select(Ticket).where(Ticket.id == ticket.id)).all()
    db.session.commit()
    assert [line.ticket_id for line in lines(fresh.id, "created")] == [fresh.id]


@BOTH
def test_rows_naming_a_ticket_of_this_transaction_get_its_id(app):
    """A new ticket has no id until the flush: the row takes the id the flush gives it."""
    agent = users.by_username("agent")
    ticket = red_ticket()
    task = open_task(ticket)
    task.completed_by_id, task.completed_at = agent.id, task.created_at
    fresh = Ticket(number="T-NEW-1", channel=ticket.channel, process_version=ticket.process_version,
                   title="New", creator=agent, priority="normal", status="open", data={})
    db.session.add(fresh)
    audit.record(fresh, agent, "created")
    report_facts.record_task(task)
    db.session.flush()  # writes the queued rows: the commit must not write them again
    db.session.commit()
    assert [line.ticket_id for line in lines(fresh.id, "created")] == [fresh.id]
    assert db.session.scalar(select(TaskFact.ticket_id).where(TaskFact.task_id == task.id)) == ticket.id


@BOTH
def test_a_fact_upserted_twice_in_a_transaction_is_written_once_with_its_last_values(app):
    ticket = red_ticket()
    for status in ("cancelled", "closed"):
        ticket.status = status
        report_facts.record_ticket(ticket)
    assert [row["status"] for row in step_rows.pending(TicketFact)] == ["closed"]
    db.session.commit()
    assert db.session.execute(select(TicketFact.status).where(TicketFact.ticket_id == ticket.id)).all() == [("closed",)]


def stored(model, row_id: int, *columns: str) -> tuple:
    """The row as the database has it, past the session's objects."""
    return tuple(db.session.execute(select(*(model.__table__.c[c] for c in columns))
                                    .where(model.__table__.c.id == row_id)).one())


@BOTH
def test_a_change_shows_on_the_object_at_once_and_is_written_with_the_commit(app, fake_clock):
    task = open_task(red_ticket())
    agent, at = users.by_username("agent"), fake_clock.advance(microseconds=250)
    step_rows.change(task, state="completed", completed_at=at, completed_by_id=agent.id)
    assert (task.state, task.completed_by_id) == ("completed", agent.id) and not db.session.dirty
    assert stored(HumanTask, task.id, "state") == ("open",)  # a Core read: nothing written before the commit
    db.session.commit()
    assert stored(HumanTask, task.id, "state", "completed_at", "completed_by_id") == ("completed", at, agent.id)


@BOTH
def test_an_ordinary_assignment_after_a_change_ends_the_same_in_both_writes(app):
    task = open_task(red_ticket())
    step_rows.change(task, state="claimed", priority="high")
    task.state = "completed"  # flushed by the ORM first, then the change writes the object's values as they are
    db.session.commit()
    assert stored(HumanTask, task.id, "state", "priority") == ("completed", "high")


@BOTH
def test_a_change_is_written_even_if_its_object_was_expired_before_the_commit(app):
    task = open_task(red_ticket())
    db.session.commit()
    step_rows.change(task, state="cancelled")
    db.session.expire(task)
    db.session.commit()
    assert stored(HumanTask, task.id, "state") == ("cancelled",)


@BOTH
def test_a_rolled_back_change_is_neither_written_nor_kept_on_the_object(app):
    task = open_task(red_ticket())
    db.session.commit()
    step_rows.change(task, state="cancelled")
    db.session.rollback()
    assert task.state == "open" and stored(HumanTask, task.id, "state") == ("open",)


@BOTH
def test_an_object_not_stored_yet_takes_a_change_into_its_insert(app):
    ticket = red_ticket()
    task = HumanTask(ticket=ticket, spiff_task_id="new", element_id="x", name="X", role="agent", state="open",
                     priority="normal", created_at=ticket.created_at)
    db.session.add(task)
    step_rows.change(task, state="claimed")
    db.session.commit()
    assert stored(HumanTask, task.id, "state") == ("claimed",)


def test_a_change_names_columns_only(app):
    with pytest.raises(KeyError, match="assignee"):
        step_rows.change(open_task(red_ticket()), assignee=None)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_takes_every_row_and_change_of_a_step_in_one_statement(api):
    task_id = open_task(red_ticket()).id
    api("post", f"/tasks/{task_id}/claim", "agent")
    sent: list[str] = []
    listener = lambda *args: sent.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        answer = api("post", f"/tasks/{task_id}/complete", "agent",
                     json={"data": {"impact": "outage", "impact_details": "All", "customer_answered": True}})
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert answer.status_code == 200
    writes = [sql for sql in sent if "INSERT INTO ticket_events" in sql]
    assert len(writes) == 1 and all(f"INSERT INTO {table}" in writes[0] for table in (
        "task_facts", "live_events", "ticket_facts", "human_tasks", "sla_clocks", "timers"))  # the new task's too
    assert all(f"UPDATE {table}" in writes[0] for table in ("human_tasks", "sla_clocks", "timers", "tickets"))
    assert not [sql for sql in sent if sql.startswith(("UPDATE", "INSERT INTO human_tasks", "INSERT INTO sla_clocks",
                                                       "INSERT INTO timers"))]
    [draw] = [sql for sql in sent if "nextval" in sql]  # the new rows' ids, before the statement that names them
    assert sent.index(draw) < sent.index(writes[0])
    assert stored(HumanTask, task_id, "state") == ("completed",)
    assert db.session.scalar(select(func.count()).select_from(TaskFact).where(TaskFact.task_id == task_id)) == 1
    assert db.session.scalar(select(func.min(LiveEvent.txid))) > 0  # the writing transaction's id, by default


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_postgres_changes_rows_through_their_primary_key_not_a_scan_of_the_table(app):
    """The planner guesses a hundred rows for json_populate_recordset and would hash-join a whole table to it; the
    ids, given again as an array, let it walk the primary key. Checked on the plan of a change among 3,000 tasks."""
    task = open_task(red_ticket())
    db.session.execute(text("""INSERT INTO human_tasks (ticket_id, spiff_task_id, element_id, name, role, state,
                                                        priority, created_at)
                               SELECT ticket_id, md5(i::text), element_id, name, role, 'completed', priority,
                                      created_at FROM human_tasks, generate_series(1, 3000) AS i WHERE id = :id"""),
                       {"id": task.id})
    db.session.execute(text("ANALYZE human_tasks"))
    sent: list[tuple] = []
    listener = lambda _c, _cur, sql, params, _ctx, _many: sent.append((sql, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        step_rows.change(task, state="cancelled")
        db.session.commit()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    [(sql, params)] = [(sql, params) for sql, params in sent if "UPDATE human_tasks" in sql]
    plan = "\n".join(db.session.connection().exec_driver_sql(f"EXPLAIN {sql}", params).scalars())
    assert "Index Scan using pk_human_tasks" in plan and "Seq Scan on human_tasks" not in plan, plan


@BOTH
def test_a_step_writes_its_tickets_changed_columns_in_one_update_that_moves_its_version(app, fake_clock, backend):
    """On PostgreSQL the UPDATE goes with the step's rows (its history line among them) in their one statement."""
    task_id = open_task(red_ticket()).id
    db.session.commit()
    db.session.expire_all()
    sent = []
    listener = lambda *args: sent.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        task = tickets.claim(users.by_username("agent"), task_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    ticket_writes = [sql for sql in sent if "UPDATE TICKETS" in sql.upper()]
    assert len(ticket_writes) == 1 and "lock_version" in ticket_writes[0]
    assert ("INSERT INTO ticket_events" in ticket_writes[0]) == (backend == "postgres")
    assert stored(Ticket, task.ticket.id, "updated_at", "lock_version") == (fake_clock.now(), 2)
    assert (task.ticket.lock_version, task.ticket.updated_at) == (2, fake_clock.now())  # as written, no read back
    assert not db.session.dirty


@BOTH
def test_a_step_whose_ticket_another_step_changed_meanwhile_gets_a_conflict_and_writes_nothing(app, monkeypatch):
    task_id = open_task(red_ticket()).id
    db.session.commit()
    before = (stored(HumanTask, task_id, "state", "assignee_id"), db.session.scalar(select(func.count(TicketEvent.id))))
    assert before[0] == ("open", None)
    take = tickets._take

    def another_step_commits_first(task, user):  # after the step read the ticket, before it writes anything
        with db.engine.begin() as other:
            other.execute(text("UPDATE tickets SET lock_version = lock_version + 1 WHERE id = :id"),
                          {"id": task.ticket_id})
        take(task, user)

    monkeypatch.setattr(tickets, "_take", another_step_commits_first)
    with pytest.raises(Conflict, match="same moment"):
        tickets.claim(users.by_username("agent"), task_id)
    assert (stored(HumanTask, task_id, "state", "assignee_id"),
            db.session.scalar(select(func.count(TicketEvent.id)))) == before


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_completion_whose_ticket_moved_meanwhile_stores_none_of_its_new_task_clocks_or_lines(app, monkeypatch):
    """On PostgreSQL the version is checked by the statement that also stores the step's new objects: a lost race
    leaves none of them (the SQLite path checks it before anything is stored: the test above)."""
    agent = users.by_username("agent")
    ticket_id = open_task(red_ticket()).ticket_id
    task_id = tickets.claim(agent, open_task(db.session.get(Ticket, ticket_id)).id).id

    def stored_of_the_ticket():
        return tuple(db.session.scalar(select(func.count()).select_from(model).where(model.ticket_id == ticket_id))
                     for model in (HumanTask, SlaClock, Timer, TicketEvent))

    before = stored_of_the_ticket()
    sync = tickets._sync

    def another_step_commits_first(ticket, *args):  # after the step read the ticket, before it writes it
        with db.engine.begin() as other:
            other.execute(text("UPDATE tickets SET lock_version = lock_version + 1 WHERE id = :id"), {"id": ticket.id})
        sync(ticket, *args)

    monkeypatch.setattr(tickets, "_sync", another_step_commits_first)
    with pytest.raises(Conflict, match="same moment"):
        tickets.complete(agent, task_id, {"impact": "outage", "impact_details": "All", "customer_answered": True})
    assert stored_of_the_ticket() == before and stored(HumanTask, task_id, "state") == ("claimed",)


def new_clock_with_timer(ticket: Ticket, task: HumanTask | None) -> tuple[SlaClock, Timer]:
    """A clock and its timer as a step starts them: ORM objects stored with the step's rows."""
    clock = SlaClock(ticket=ticket, task=task, kind="resolution", target_seconds=3600, started_at=ticket.created_at,
                     due_at=ticket.created_at + timedelta(hours=1))
    step_rows.add_object(clock)
    timer = Timer(ticket=ticket, kind="sla", sla_clock=clock, due_at=clock.due_at)
    step_rows.add_object(timer)
    return clock, timer


@BOTH
def test_a_new_object_is_stored_with_the_rows_with_its_defaults_and_the_ids_of_what_it_refers_to(app, fake_clock):
    ticket = red_ticket()
    db.session.commit()
    clock, timer = new_clock_with_timer(ticket, open_task(ticket))
    assert step_rows.held(SlaClock) == [clock] and step_rows.held(Timer) == [timer]
    assert clock not in db.session and clock.id is None  # in no session until the rows are written
    db.session.commit()
    assert step_rows.held(SlaClock) == [] and inspect(clock).persistent and inspect(timer).persistent
    assert not db.session.dirty and not db.session.new  # stored as it is: nothing left to write
    assert stored(SlaClock, clock.id, "ticket_id", "task_id", "state", "calendar", "rung", "ladder") == (
        ticket.id, open_task(ticket).id, "pending", "24x7", 0, [])
    assert stored(Timer, timer.id, "sla_clock_id", "ticket_id", "state") == (clock.id, ticket.id, "armed")
    assert (clock.state, clock.calendar, timer.state, timer.created_at) == ("pending", "24x7", "armed",
                                                                            fake_clock.now())


@BOTH
def test_objects_are_stored_after_those_they_refer_to_whatever_the_order_they_came_in(app):
    """A task's clock may be created before the task is (a new ticket's own clock comes first, too)."""
    ticket = red_ticket()
    db.session.commit()
    task = HumanTask(ticket_id=ticket.id, spiff_task_id="made-up", element_id="by_hand", name="By hand",
                     role="agent", priority="normal")
    clock, timer = new_clock_with_timer(ticket, task)  # queued before the task it refers to
    step_rows.add_object(task)
    audit.record(ticket, None, "comment", task, text="a line may name a new object")
    db.session.commit()
    assert stored(SlaClock, clock.id, "task_id") == (task.id,) and stored(Timer, timer.id, "sla_clock_id") == (
        clock.id,)
    assert stored(HumanTask, task.id, "state", "ticket_id") == ("open", ticket.id)
    assert [line.task_id for line in lines(ticket.id, "comment")] == [task.id]


@BOTH
def test_a_rolled_back_step_stores_none_of_its_new_objects(app):
    ticket = red_ticket()
    db.session.commit()

    def counts() -> tuple[int, int]:
        return tuple(db.session.scalar(select(func.count()).select_from(model).where(model.ticket_id == ticket.id))
                     for model in (SlaClock, Timer))

    before = counts()
    with pytest.raises(RuntimeError), tickets.step():
        new_clock_with_timer(db.session.get(Ticket, ticket.id), None)
        raise RuntimeError("the step fails")
    db.session.commit()  # a later commit finds nothing queued
    assert counts() == before and step_rows.held(SlaClock) == []


@BOTH
@pytest.mark.parametrize("step", ["claim", "complete"])
def test_a_step_that_wrote_all_it_changed_itself_leaves_the_unit_of_work_nothing_to_flush(app, step):
    task_id = open_task(red_ticket()).id
    agent = users.by_username("agent")
    if step == "complete":
        tickets.claim(agent, task_id)
    db.session.commit()
    db.session.expire_all()
    flushed = []
    listener = lambda session, *_: flushed.append(list(session.dirty) + list(session.new))  # noqa: E731
    event.listen(Session, "before_flush", listener)
    try:
        if step == "claim":
            tickets.claim(agent, task_id)
        else:
            tickets.complete(agent, task_id, {"impact": "outage", "impact_details": "x", "customer_answered": True})
    finally:
        event.remove(Session, "before_flush", listener)
    assert flushed == []
    db.session.expire_all()
    assert db.session.get(HumanTask, task_id).state == ("claimed" if step == "claim" else "completed")


@BOTH
def test_a_new_task_shows_in_its_tickets_tasks_loaded_before_it_came_or_before_it_was_stored(app):
    ticket = red_ticket()
    db.session.commit()
    before = list(ticket.tasks)
    task = HumanTask(spiff_task_id="by-hand", element_id="by_hand", name="By hand", role="agent", priority="normal")
    set_committed_value(task, "ticket", ticket)
    step_rows.add_object(task)
    assert ticket.tasks == [*before, task] and not db.session.dirty
    db.session.expire(ticket, ["tasks"])
    with db.session.no_autoflush:  # as in a step: the collection is read again before the task is stored
        assert task not in ticket.tasks
    db.session.commit()
    assert ticket.tasks == [*before, task] and stored(HumanTask, task.id, "ticket_id") == (ticket.id,)


@BOTH
def test_several_new_objects_of_a_table_each_get_the_id_of_their_own_row(app):
    """On PostgreSQL a table's new rows go in one INSERT of a JSON array: each object must get its own row's id."""
    ticket = red_ticket()
    db.session.commit()
    made = [new_clock_with_timer(ticket, open_task(ticket)) for _ in range(4)]
    for n, (clock, timer) in enumerate(made):
        clock.kind, clock.target_seconds = f"kind-{n}", 60 * (n + 1)
        timer.due_at = ticket.created_at + timedelta(minutes=n + 1)
    db.session.commit()
    assert len({clock.id for clock, _ in made}) == len({timer.id for _, timer in made}) == 4
    for n, (clock, timer) in enumerate(made):
        assert stored(SlaClock, clock.id, "kind", "target_seconds") == (f"kind-{n}", 60 * (n + 1))
        assert stored(Timer, timer.id, "sla_clock_id", "due_at") == (clock.id, ticket.created_at + timedelta(
            minutes=n + 1))
