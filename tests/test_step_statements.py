"""What one HTTP completion costs the database: GET /api/v1/tasks -> claim -> complete, counted statement by
statement from an empty session as in production, after one completion that fills the per-process answers (the
token's user, the branch tree, policies and templates: engine.config_cache) as a running server has them. Each
statement a step does not need was removed (issue 17): the branch scope is an IN list inside the statement that
reads the task or the list, the task comes with its SLA clocks (and, to complete it, with its ticket's armed
timers, promise clocks and waiting tasks), the claim is one conditional UPDATE, the answer
lists the tasks the step left waiting without reading them back, the rows and changes a step writes go in one
statement (engine.step_rows). Issue 17's target: 12 per completion on PostgreSQL. A statement added to the path
fails here; bench/load.py measures the time."""

import pytest
from sqlalchemy import event, select

from engine import tickets, timers
from engine.db import db
from engine.directory import users
from engine.models import HumanTask, SlaClock, TicketEvent, Timer
from engine.promises import clocks as promises
from tests.statements import statements_of, statements_sent
from tests.web_data import colleague, open_task, red_ticket

BOTH = pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
ACCEPT = {"impact": "outage", "impact_details": "All branches offline", "customer_answered": True}

# The fault's accept step alerts the on-duty engineers (notifications/: the outbox rows), starts the next task with
# its clocks, timers, facts and history lines, all in the step's one transaction. The task is read with its
# ticket's armed timers, promise clocks and waiting tasks; the token's user, the branch tree, the SLA policies, the
# templates, the on-duty roster and the process version are kept per process (engine.config_cache); the history
# lines, facts, the ticket's fact upsert, live events and the changed states of the completed task, its met clocks
# and their cancelled timers go in one statement on PostgreSQL (engine.step_rows), one per table on SQLite; on
# PostgreSQL the step's new task, clocks and timers and its ticket's versioned UPDATE go in that statement too, after
# one that draws the new rows' ids. Before issue 17's second pass: 3, 8 and 29; before its third: 2, 5 and 21;
# before its fourth: 1, 4 and 11; before its twelfth (PostgreSQL): 1, 4 and 7.
MOST = {"postgres": {"list": 1, "claim": 3, "complete": 4}, "sqlite": {"list": 1, "claim": 4, "complete": 18}}



def completion(client, headers: dict, task_id: int) -> dict:
    """The three requests of one HTTP completion, by kind, to be sent in this order."""
    return {"list": lambda: client.get("/api/v1/tasks", headers=headers),
            "claim": lambda: client.post(f"/api/v1/tasks/{task_id}/claim", headers=headers),
            "complete": lambda: client.post(f"/api/v1/tasks/{task_id}/complete", headers=headers,
                                            json={"data": ACCEPT})}


@BOTH
@pytest.mark.parametrize("who", ["agent", "agent2"])  # the tickets' creator, and a colleague who did not open them
def test_one_completion_sends_no_more_statements_than_it_needs(web_client, token, backend, who):
    colleague("agent", "agent2")
    warm_up_id, task_id = open_task(red_ticket()).id, open_task(red_ticket()).id
    bearer = {"Authorization": f"Bearer {token(who)}"}  # issued once (the api fixture issues one per call)
    for request in completion(web_client, bearer, warm_up_id).values():  # a running server's per-process answers
        request()
    sent = {kind: statements_of(request) for kind, request in completion(web_client, bearer, task_id).items()}
    for kind, most in MOST[backend].items():
        assert len(sent[kind]) <= most, f"{kind}: " + " | ".join(" ".join(sql.split())[:60] for sql in sent[kind])
    config = ("api_tokens", "FROM branches", "FROM sla_policies", "FROM message_templates", "FROM business_calendars",
              "process_versions", "process_models")
    assert not [sql for found in sent.values() for sql in found if any(table in sql for table in config)]


@BOTH
def test_the_complete_answer_lists_what_the_step_left_waiting_as_the_database_has_it(api):
    task_id = open_task(red_ticket()).id
    api("post", f"/tasks/{task_id}/claim", "agent")
    db.session.expunge_all()
    answer = api("post", f"/tasks/{task_id}/complete", "agent", json={"data": ACCEPT}).get_json()
    db.session.expunge_all()
    stored = db.session.get(HumanTask, task_id)
    waiting = db.session.query(HumanTask).filter(HumanTask.ticket_id == stored.ticket_id,
                                                 HumanTask.state.in_(("open", "claimed"))).order_by(HumanTask.id)
    assert answer["state"] == stored.state == "completed"
    assert [(t["id"], t["name"], t["state"]) for t in answer["open_tasks"]] == [(t.id, t.name, t.state)
                                                                               for t in waiting]
    assert answer["open_tasks"] and all(t["id"] is not None for t in answer["open_tasks"])


@BOTH
def test_a_claim_lost_to_a_colleague_reads_only_the_task_and_names_who_holds_it(web_client, token, backend):
    colleague("agent", "agent2")
    warm_up_id, task_id = open_task(red_ticket()).id, open_task(red_ticket()).id
    holder, loser = ({"Authorization": f"Bearer {token(who)}"} for who in ("agent", "agent2"))
    for claimed in (warm_up_id, task_id):
        assert web_client.post(f"/api/v1/tasks/{claimed}/claim", headers=holder).status_code == 200
    web_client.post(f"/api/v1/tasks/{warm_up_id}/claim", headers=loser)  # keeps the loser's and holder's users
    db.session.remove()
    with statements_sent() as sent:
        lost = web_client.post(f"/api/v1/tasks/{task_id}/claim", headers=loser)
    assert lost.status_code == 409
    error = lost.get_json()["error"]  # the holder, not the loser (whose name "agent2" also contains "agent")
    assert error["message"] == f"task {task_id} is claimed by agent"
    assert error["message_zh"] == f"任务 {task_id} 已被 agent 认领"
    assert len(sent) == 1 and "FROM human_tasks" in sent[0] and "customers" not in sent[0]


@BOTH
def test_a_claim_writes_holder_state_and_due_time_in_its_one_update(api):
    task_id = open_task(red_ticket()).id
    sent = statements_of(lambda: api("post", f"/tasks/{task_id}/claim", "agent"))
    assert sum(sql.lstrip().upper().startswith("UPDATE HUMAN_TASKS") for sql in sent) == 1
    db.session.expunge_all()
    task = db.session.get(HumanTask, task_id)
    running = [c for c in db.session.query(SlaClock).filter(SlaClock.task_id == task_id)
               if c.state in ("pending", "warned", "breached") and c.met_at is None]
    assert (task.state, task.assignee.username, task.claimed_at is not None) == ("claimed", "agent", True)
    assert running and task.due_at == min(c.due_at for c in running)  # the clocks that still run
    assert [e.kind for e in db.session.query(TicketEvent).filter(TicketEvent.task_id == task_id)][-1] == "claimed"


@BOTH
def test_the_task_a_step_completes_comes_with_what_the_step_reads_of_its_ticket(app, backend):
    """Its armed timers, promise clocks and waiting tasks, as the database has them, with no statement of their own."""
    ticket = red_ticket()
    task_id = open_task(ticket).id
    db.session.expunge_all()
    task = tickets.get_task(task_id, users.by_username("agent"), to_run=True)
    ticket = task.ticket
    read = []
    listener = lambda *args: read.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        given = ({t.id for t in timers.armed_rows(ticket.id)}, {c.id for c in promises.clocks_of(ticket)},
                 [t.id for t in tickets.active_tasks(ticket)])
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert read == []
    stored = (set(db.session.scalars(select(Timer.id).where(Timer.ticket_id == ticket.id, Timer.state == "armed"))),
              set(db.session.scalars(select(SlaClock.id).where(SlaClock.ticket_id == ticket.id,
                                                               SlaClock.until.is_not(None)))),
              list(db.session.scalars(select(HumanTask.id).where(HumanTask.ticket_id == ticket.id,
                                                                 HumanTask.state.in_(("open", "claimed")))
                                      .order_by(HumanTask.id))))
    assert given == stored and given[0] and given[2] == [task_id]
