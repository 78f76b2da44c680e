"""Ticket and task operations. Each one is a single transaction with its history lines.

A step either commits whole (workflow state, task rows, history) or leaves nothing behind. Two
steps racing on one ticket are told apart by the ticket's lock_version: the slower one gets a
Conflict and changes nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import bindparam, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, contains_eager, joinedload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from engine import (
    account_managers,
    audit,
    clock,
    deployments,
    forms,
    report_facts,
    runtime,
    sla,
    step_rows,
    ticket_access,
    timers,
)
from engine.db import answered, db, per_transaction
from engine.directory import branches, permissions, users
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessError
from engine.fields import problem
from engine.forms import choices
from engine.live import events as live
from engine.models import (
    ACTIVE_TASK_STATES,
    CHANNELS,
    PRIORITIES,
    Customer,
    HumanTask,
    SlaClock,
    Ticket,
    TicketCounter,
    TicketEvent,
    Timer,
    User,
)
from engine.notices import hooks as notice_hooks
from engine.promises import clocks as promises
from notifications import notify

RACE = "someone else changed this ticket at the same moment; reload it and try again"
RACE_ZH = "有人同时修改了此工单；请刷新后重试"
STATES_ZH = {"open": "处于待处理状态", "claimed": "被认领", "completed": "完成", "cancelled": "取消", "closed": "关闭",
             "incident": "出现异常"}  # the ticket and task states after 已 ("already") in Chinese refusals


@contextmanager
def step() -> Iterator[None]:
    """One engine step: commit everything at the end, or roll everything back.

    Nothing is flushed before the commit, so the ticket row is written once and its lock_version
    moves by one per step. The commit keeps what the step wrote in memory, so the answer is built without
    reading it back; what the session holds from an earlier step is expired when the next one begins, so a
    step always reads the rows as they are now.
    """
    session = db.session()
    session.info.pop(_WAITING, None)
    session.info.pop(_LEAVES_WAITING, None)
    if session.info.pop(_STEPPED, False):
        session.expire_all()
    try:
        with session.no_autoflush:
            yield
        _commit_keeping_state(session)
    except StaleDataError as err:
        db.session.rollback()
        raise Conflict(RACE, message_zh=RACE_ZH) from err
    except OperationalError as err:
        db.session.rollback()
        if not _lost_write_race(err):
            raise
        raise Conflict(RACE, message_zh=RACE_ZH) from err
    except BaseException:
        db.session.rollback()
        raise


_STEPPED = "keydesk_stepped"  # session.info: a step committed in this session, its objects may be out of date
_LEAVES_WAITING = "keydesk_leaves_waiting"  # session.info: {ticket: its tasks that may wait} as the step leaves them
_WAITING = "keydesk_waiting"  # session.info: the same, once the step committed


def _commit_keeping_state(session) -> None:
    """Commit without expiring the session's objects; the next step expires them first. The tasks the step
    left waiting stay known until the session next talks to the database (the answer lists them unread)."""
    waiting = session.info.pop(_LEAVES_WAITING, {})
    step_rows.write_versioned(session)
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    session.info[_STEPPED] = True
    session.info[_WAITING] = waiting


@event.listens_for(Session, "after_begin")
def _forget_waiting(session: Session, _transaction, _connection) -> None:
    """Once the session reads or writes again, what a committed step left waiting may be out of date."""
    session.info.pop(_WAITING, None)


def _lost_write_race(err: OperationalError) -> bool:
    """SQLite refuses the write of a transaction that read before another one committed ("database is locked"
    once its snapshot is stale): the same race PostgreSQL reports through the version check."""
    return db.session.get_bind().dialect.name == "sqlite" and "database is locked" in str(err.orig)


def start_ticket(actor: User, process: str, title: str, customer_id: int | None = None,
                 priority: str = "normal", data: dict | None = None) -> Ticket:
    """Open a ticket on the newest version of ``process`` and run it up to its first human tasks."""
    with step():
        ticket = open_ticket(actor, deployments.latest_version(process), title, customer_id, priority, data)
    return ticket


def open_ticket(actor: User, version, title: str, customer_id: int | None = None, priority: str = "normal",
                data: dict | None = None, start_event: str | None = None) -> Ticket:
    """The body of start_ticket, inside the caller's step. ``start_event``: the timer start event a schedule
    fires, so the process starts there at once instead of waiting for its own timer."""
    customer = _check_ticket_fields(actor, title, priority, customer_id)
    start_data = forms.validate(start_form(version), data or {})
    channel = version.model.channel
    branch = customer.branch if customer and customer.branch else actor.branch  # objects: the actor may be unflushed
    ticket = Ticket(number=_next_number(channel), channel=channel, process_version=version,
                    customer_id=customer_id, title=title.strip(), priority=priority, creator=actor, status="open",
                    branch_id=branch.id if branch else None,
                    data=start_data, created_at=clock.now(), updated_at=clock.now())
    db.session.add(ticket)
    scheduled = {"scheduled": start_event} if start_event else {}
    audit.record(ticket, actor, "created", process=version.model.key, version=version.version, data=start_data,
                 **scheduled)
    sla.start_clocks(ticket, None, "ticket", version.properties)
    workflow = runtime.new_workflow(version, ticket, actor)
    workflow.task_tree.data.update(start_data)
    if start_event:
        runtime.start_at(workflow, start_event)
    else:
        runtime.advance(workflow)
    _sync(ticket, workflow, actor)
    if ticket.status == "open":  # a ticket that closed at once got its closing notice
        notice_hooks.on(ticket, "opened")
    return ticket


def claim(actor: User, task_id: int) -> HumanTask:
    with step():
        task = _workable_task(actor, task_id)
        unowned = task.assignee_id is None
        _take(task, actor)
        if unowned:
            _claim_row(task)
        audit.record(task.ticket, actor, "claimed", task)
        _touch(task.ticket)
    return task


def take_next(actor: User, ticket_id: int) -> HumanTask | None:
    """The ticket's next waiting task the actor may do (theirs, or open in one of their roles), claimed for them;
    None when there is none. "Complete and open next": one person carries a ticket through its steps."""
    with step():
        waiting = db.session.scalars(select(HumanTask).where(HumanTask.ticket_id == ticket_id,
                                                             HumanTask.state.in_(ACTIVE_TASK_STATES))
                                     .order_by(HumanTask.id))
        task = next((t for t in waiting if t.assignee_id == actor.id
                     or (t.assignee_id is None and actor.has_role(t.role))), None)
        if task is None or not branches.can_see(actor, task.ticket.branch_id):
            return None
        if task.assignee_id is None:
            _take(task, actor)
            audit.record(task.ticket, actor, "claimed", task)
            _touch(task.ticket)
    return task


def unclaim(actor: User, task_id: int) -> HumanTask:
    with step():
        task = get_task(task_id, actor)
        _require_active(task)
        if task.assignee_id != actor.id and not actor.has_role(*permissions.PERMISSIONS["assign"]):
            raise Forbidden(f"task {task.id} is not yours to give back",
                            message_zh=f"任务 {task.id} 不是您的，不能退回")
        task.assignee, task.state, task.claimed_at = None, "open", None
        audit.record(task.ticket, actor, "unclaimed", task)
        live.emit("queued", task, actor)
        _touch(task.ticket)
    return task


def assign(actor: User, task_id: int, username: str) -> HumanTask:
    """A supervisor hands a task to a person who has the task's role."""
    with step():
        permissions.require(actor, "assign")
        task = get_task(task_id, actor)
        _require_active(task)
        assignee = db.session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if assignee is None:
            raise InvalidInput(f"no active user {username!r}",
                               [problem("username", "unknown user", f"没有在职用户 {username!r}")])
        if not assignee.has_role(task.role):
            raise InvalidInput(f"{username} does not have the role {task.role!r} this task needs",
                               [problem("username", f"lacks role {task.role}",
                                        f"{username} 没有此任务所需的角色 {task.role}")])
        if not branches.can_see(assignee, task.ticket.branch_id):
            raise InvalidInput(f"{username} works in a branch that does not see ticket {task.ticket.number}",
                               [problem("username", "outside the ticket's branch",
                                        f"{username} 所在分支机构看不到工单 {task.ticket.number}")])
        previous = task.assignee.username if task.assignee else None
        _take(task, assignee)
        audit.record(task.ticket, actor, "assigned", task, assignee=username, previous=previous)
        live.emit("assigned", task, actor)
        if assignee.id != actor.id:
            notify.people("task_assigned", [assignee], f"assigned:{task.id}:{clock.now().isoformat()}", task.ticket,
                          task={"name": task.name, "role": task.role, "due_at": notify.local_time(task.due_at)})
        _touch(task.ticket)
    return task


def complete(actor: User, task_id: int, data: dict) -> HumanTask:
    """Complete a task with its form data; an unclaimed task is claimed by whoever completes it."""
    with step():
        task = _workable_task(actor, task_id, to_run=True)
        ticket = task.ticket
        values = forms.validate(task_form(task), data)
        workflow = runtime.load(ticket, actor)
        spiff_task = runtime.find_task(workflow, task.spiff_task_id)
        if spiff_task is None or spiff_task not in runtime.ready_human_tasks(workflow):
            raise Conflict(f"task {task.id} is no longer waiting in the process",
                           message_zh=f"任务 {task.id} 已不在流程中等待处理")
        runtime.run_task(workflow, spiff_task, values)
        if task.assignee is None:
            task.assignee, task.claimed_at = actor, clock.now()
        step_rows.change(task, state="completed", completed_at=clock.now(), completed_by_id=actor.id)
        sla.meet(task, sla.KINDS)
        report_facts.record_task(task)
        ticket.data = {**ticket.data, **values}
        audit.record(ticket, actor, "completed", task, data=values)
        _sync(ticket, workflow, actor)
    return task


def cancel(actor: User, ticket_id: int, reason: str) -> Ticket:
    """A supervisor stops a ticket; its open tasks are cancelled, its history stays."""
    with step():
        permissions.require(actor, "cancel")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("a cancellation needs a reason", [{"field": "reason", "message": "required"}])
        ticket = get_ticket(ticket_id, actor)
        if ticket.status not in ("open", "incident"):
            raise Conflict(f"ticket {ticket.number} is already {ticket.status}",
                           message_zh=f"工单 {ticket.number} 已{STATES_ZH.get(ticket.status, ticket.status)}")
        workflow = runtime.load(ticket)
        workflow.cancel()
        for task in ticket.tasks:
            if task.state in ACTIVE_TASK_STATES:
                task.state = "cancelled"
        sla.cancel(sla_clocks(ticket))
        timers.cancel_all(ticket)
        ticket.status, ticket.closed_at = "cancelled", clock.now()
        audit.record(ticket, actor, "cancelled", reason=reason.strip())
        report_facts.record_ticket(ticket)
        runtime.save(ticket, workflow)
        _touch(ticket)
    return ticket


def pause(actor: User, ticket_id: int, reason: str) -> Ticket:
    """The ticket waits on the customer: its SLA clocks stop until it resumes."""
    with step():
        ticket = _open_ticket(ticket_id, actor)
        if ticket.waiting_since is not None:
            raise Conflict(f"ticket {ticket.number} already waits on the customer",
                           message_zh=f"工单 {ticket.number} 已在等待客户")
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("say what the customer is to do", [{"field": "reason", "message": "required"}])
        ticket.waiting_since = clock.now()
        sla.pause(ticket)
        audit.record(ticket, actor, "paused", reason=reason.strip())
        _touch(ticket)
    return ticket


def resume(actor: User, ticket_id: int) -> Ticket:
    with step():
        ticket = _open_ticket(ticket_id, actor)
        if ticket.waiting_since is None:
            raise Conflict(f"ticket {ticket.number} is not waiting on the customer",
                           message_zh=f"工单 {ticket.number} 没有在等待客户")
        paused = sla.resume(ticket)
        audit.record(ticket, actor, "resumed", paused_seconds=paused,
                     waited_seconds=int((clock.now() - ticket.waiting_since).total_seconds()))
        ticket.waiting_since = None
        _touch(ticket)
    return ticket


def fire_due_timer(skip: set[int]) -> int | None:
    """Claim the most overdue timer and fire it in one step. Returns its id, or None when nothing is due.

    A timer whose ticket changed at the same moment is skipped for this pass (it stays armed); one
    whose diagram fails is marked failed, with the reason in the ticket's history.
    """
    claimed: list[int] = []
    try:
        with step():
            row = timers.claim_next(skip)
            if row is None:
                return None
            claimed.append(row.id)
            _fire(row)
    except Conflict:
        skip.add(claimed[0])
    except ProcessError as err:
        skip.add(claimed[0])
        _fail_timer(claimed[0], err)
    return claimed[0]


def _fire(row: Timer) -> None:
    ticket = row.ticket
    if ticket.status != "open":
        row.state = "cancelled"
    elif row.kind == "sla":
        sla.fire(row)
        _touch(ticket)
    else:
        workflow = runtime.load(ticket)
        runtime.fire_timers(workflow)
        _sync(ticket, workflow, None)


def _fail_timer(timer_id: int, err: ProcessError) -> None:
    with step():
        row = db.session.get(Timer, timer_id)
        row.state = "failed"
        ticket = row.ticket
        audit.record(ticket, None, "timer_failed", element=row.element_id, error=err.message)
        if ticket.status == "open" and not _can_go_on(ticket, besides=row.id):
            _incident(ticket, None, f"the timer {row.element_id} failed and nothing else is waiting: {err.message}")
        _touch(ticket)


def active_tasks(ticket: Ticket) -> list[HumanTask]:
    """The ticket's tasks that wait for a person, without loading the finished ones (a loop leaves thousands);
    right after a step, those it left waiting, unread."""
    left = db.session.info.get(_WAITING, {})
    if ticket.id is None:  # opened in this step
        rows = ticket.tasks
    elif ticket in left:
        rows = left[ticket]
    else:
        rows = per_transaction(_waiting_key(ticket.id), lambda: list(db.session.scalars(
            select(HumanTask).where(HumanTask.ticket_id == ticket.id, HumanTask.state.in_(ACTIVE_TASK_STATES))
            .order_by(HumanTask.id))))
    return [task for task in rows if task.state in ACTIVE_TASK_STATES]  # this step may have finished one


def _waiting_key(ticket_id: int) -> tuple:
    return ("waiting_tasks", ticket_id)


def _can_go_on(ticket: Ticket, besides: int) -> bool:
    """A person has a task of the ticket, or a process timer other than ``besides`` is still armed (a step flushes
    nothing before its commit, so the failing timer's row still reads armed here)."""
    return (bool(active_tasks(ticket))
            or db.session.scalar(select(Timer.id).where(Timer.ticket_id == ticket.id, Timer.kind == "bpmn",
                                                        Timer.state == "armed", Timer.id != besides).limit(1))
            is not None)


def _incident(ticket: Ticket, actor: User | None, reason: str) -> None:
    """The workflow cannot go on by itself: the ticket shows it and stays to be handled (cancelled), never closed."""
    ticket.status = "incident"
    audit.record(ticket, actor, "incident", reason=reason)


def comment(actor: User, ticket_id: int, body: str) -> None:
    with step():
        if not isinstance(body, str) or not body.strip():
            raise InvalidInput("a comment cannot be empty", [{"field": "body", "message": "required"}])
        ticket = get_ticket(ticket_id, actor)
        audit.record(ticket, actor, "comment", body=body.strip())
        _touch(ticket)


def get_ticket(ticket_id: int, viewer: User | None = None) -> Ticket:
    """The ticket; with a ``viewer``, only within their branches (outside them it does not exist) and only if
    ticket_access lets them see it. Every operation on a ticket or task goes through here or get_task, so the
    pages and the API answer alike."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or (viewer is not None and not branches.can_see(viewer, ticket.branch_id)):
        raise NotFound(f"no ticket {ticket_id}")
    return ticket if viewer is None else ticket_access.require_view(viewer, ticket)


def history(ticket: Ticket) -> list[TicketEvent]:
    return list(db.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
                                   .order_by(TicketEvent.id)))


def _open_ticket(ticket_id: int, actor: User) -> Ticket:
    ticket = get_ticket(ticket_id, actor)
    if ticket.status != "open":
        raise Conflict(f"ticket {ticket.number} is {ticket.status}",
                       message_zh=f"工单 {ticket.number} 已{STATES_ZH.get(ticket.status, ticket.status)}")
    return ticket


def sla_clocks(ticket: Ticket) -> list[SlaClock]:
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)))


def get_task(task_id: int, viewer: User | None = None, to_run: bool = False, clocks: bool = False,
             customer: bool = True) -> HumanTask:
    """The task; with a ``viewer``, only if they may see its ticket (as get_ticket).

    Read in one statement with its ticket and, with ``customer``, the ticket's customer (pages and the step show it;
    the access rule reads it itself when the task alone does not let the viewer in), the viewer's branches checked
    in that statement; ``to_run``: also with the ticket's workflow state, which completing the task needs, and what
    the step reads of the ticket besides (its armed timers, promise clocks and waiting tasks, answered for the
    transaction: one statement instead of four; its process version, kept per process), and ``clocks``: with the
    task's SLA clocks, which claiming and completing it stop."""
    scope = branches.visible_ids(viewer) if viewer is not None else None
    query = _task_query(to_run, clocks, customer, scope is not None)
    task = db.session.scalars(query, {"task_id": task_id, **branches.bound_ids(scope)}).unique().first()
    if task is None:
        raise NotFound(f"no task {task_id}")
    if to_run:
        _answer_step_reads(task.ticket)
    if viewer is not None:
        ticket_access.require_view(viewer, task.ticket, task)
    return task


@lru_cache(maxsize=16)
def _task_query(to_run: bool, clocks: bool, customer: bool, scoped: bool):
    """get_task's statement, built once per kind: the task id and the viewer's branch ids are its parameters."""
    ticket = contains_eager(HumanTask.ticket)
    options = [ticket.joinedload(Ticket.customer) if customer else ticket]
    options += [joinedload(HumanTask.sla_clocks)] if clocks else []
    if to_run:
        options += [ticket.undefer(Ticket.workflow_state),
                    *(ticket.joinedload(rows) for rows in (Ticket.armed_timers, Ticket.promise_clocks,
                                                           Ticket.waiting_tasks))]
    query = select(HumanTask).join(HumanTask.ticket).where(HumanTask.id == bindparam("task_id")).options(*options)
    if scoped:
        query = query.where(branches.within_bound(Ticket.branch_id))
    return query


def _answer_step_reads(ticket: Ticket) -> None:
    """What the step will ask of the ticket, as it came with its task (see get_task), and its process version."""
    set_committed_value(ticket, "process_version", deployments.attached_version(ticket.process_version_id))
    answered(timers.armed_key(ticket.id), list(ticket.armed_timers))
    answered(promises.stored_key(ticket.id), list(ticket.promise_clocks))
    answered(_waiting_key(ticket.id), list(ticket.waiting_tasks))


def _require_active(task: HumanTask) -> None:
    if task.state not in ACTIVE_TASK_STATES:
        raise Conflict(f"task {task.id} is already {task.state}",
                       message_zh=f"任务 {task.id} 已{STATES_ZH.get(task.state, task.state)}")


def may_work(actor: User, task: HumanTask) -> bool:
    """Whether the actor may open, claim and complete the task: its role, its assignee, or a supervisor (who sees
    its ticket's branch: callers fetch the task with get_task, which checks that) stepping in from the Team view."""
    return (actor.has_role(task.role) or task.assignee_id == actor.id
            or actor.has_role(*permissions.PERMISSIONS["assign"]))


def _workable_task(actor: User, task_id: int, to_run: bool = False) -> HumanTask:
    """The task, if the actor may work it now: still active, the actor's role, not someone else's."""
    task = get_task(task_id, actor, to_run, clocks=True, customer=to_run)  # a claim shows no customer
    _require_active(task)
    if not may_work(actor, task):
        raise Forbidden(f"task {task.id} belongs to the role {task.role!r}, which you do not have",
                        message_zh=f"任务 {task.id} 属于角色“{task.role}”，您没有该角色")
    if task.assignee_id not in (None, actor.id):  # the holder's name from the kept copy: a 409 reads no user
        holder = users.by_id(task.assignee_id).username
        raise Conflict(f"task {task.id} is claimed by {holder}", message_zh=f"任务 {task.id} 已被 {holder} 认领")
    return task


def _claim_row(task: HumanTask) -> None:
    """Write the claim _take made only if the row is still nobody's: of two people claiming at once, exactly one
    gets it.

    The row the task was read from may be older than the ticket's version check: the claim itself must be
    conditional (the later claimer waits on the row's lock, then finds it taken). The one statement writes the
    whole claim (holder, state, the due time the clocks left), so the commit has nothing more to write to the row."""
    values = {"assignee_id": task.assignee.id, "state": task.state, "claimed_at": task.claimed_at,
              "due_at": task.due_at, "sla_state": task.sla_state}
    taken = db.session.execute(_CLAIM_ROW, {"task_id": task.id, **{f"to_{name}": v for name, v in values.items()}})
    if taken.rowcount != 1:
        raise Conflict(f"task {task.id} was claimed by someone else at the same moment",
                       message_zh=f"任务 {task.id} 同时被他人认领")
    for name, value in {**values, "assignee": task.assignee}.items():
        set_committed_value(task, name, value)


# A table statement, built once: the ORM's UPDATE of the class would also look for the row in the session and
# build its statement again on every claim, work _claim_row does itself (set_committed_value).
_CLAIM_ROW = (update(HumanTask.__table__)
              .where(HumanTask.__table__.c.id == bindparam("task_id"), HumanTask.__table__.c.assignee_id.is_(None),
                     HumanTask.__table__.c.state == "open")
              .values({name: bindparam(f"to_{name}")
                       for name in ("assignee_id", "state", "claimed_at", "due_at", "sla_state")}))


def _take(task: HumanTask, user: User) -> None:
    """Someone owns the task now: its response clock is met."""
    task.assignee, task.state, task.claimed_at = user, "claimed", clock.now()
    sla.meet(task, ("response",))


def _touch(ticket: Ticket) -> None:
    """Bump updated_at (and with it lock_version): any change to a ticket's tasks races on the ticket."""
    ticket.updated_at = clock.now()


def _check_ticket_fields(actor: User, title: object, priority: object, customer_id: object) -> Customer | None:
    """The ticket's customer, one the actor may see; raises InvalidInput naming every wrong field."""
    problems, customer = [], None
    if not isinstance(title, str) or not title.strip():
        problems.append({"field": "title", "message": "required"})
    if priority not in PRIORITIES:
        problems.append({"field": "priority", "message": f"one of {', '.join(PRIORITIES)}"})
    if customer_id is not None:
        customer = db.session.get(Customer, customer_id) if isinstance(customer_id, int) else None
        if customer is None or not branches.can_see(actor, customer.branch_id):
            problems.append({"field": "customer_id", "message": f"no customer {customer_id!r}"})
    if problems:
        raise InvalidInput(f"wrong ticket fields: {', '.join(p['field'] for p in problems)}", problems)
    return customer


def task_form(task: HumanTask) -> dict | None:
    """The JSON Schema of the task's form as it stands for the task's ticket: choices a field reads from the desk's
    data (``x-choices``, engine/forms/choices.py) filled in for the ticket's branch; None for a task without one."""
    schema = task.ticket.process_version.forms.get(task.form_key) if task.form_key else None
    return choices.resolved(schema, task.ticket.branch_id)


def start_form(version) -> dict | None:
    """The JSON Schema of the process's start form, or None when its start event names no form."""
    key = _start_form(version)
    return version.forms.get(key) if key else None


def started_by_hand(version) -> bool:
    """Whether a person may open a ticket of this version: it has a plain start event. A process that only its
    timers start (the member review) is not offered on the new-ticket page."""
    spec, _ = deployments.specs.get(version)
    return any(type(task_spec).__name__ == "StartEvent"
               and not isinstance(getattr(task_spec, "event_definition", None), TimerEventDefinition)
               for task_spec in spec.task_specs.values())


def _start_form(version) -> str | None:
    spec, _ = deployments.specs.get(version)
    for task_spec in spec.task_specs.values():
        if type(task_spec).__name__ == "StartEvent" and getattr(task_spec, "extensions", None):
            return task_spec.extensions.get("properties", {}).get("form")
    return None


def _next_number(channel: str) -> str:
    """R-2026-000042: a counter per channel and year, safe under concurrent starts.

    On PostgreSQL the number is taken in a short transaction of its own, so a slow start does not hold the
    counter's row lock for its whole step and make every other start of the channel wait; a step that then
    fails leaves a gap in the numbers. SQLite has one writer at a time anyway: the number is taken in the step.
    """
    year = clock.now().astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year
    postgres = db.session.get_bind().dialect.name == "postgresql"
    dialect = postgresql if postgres else sqlite
    statement = (dialect.insert(TicketCounter).values(channel=channel, year=year, value=1)
                 .on_conflict_do_update(index_elements=["channel", "year"],
                                        set_={"value": TicketCounter.value + 1})
                 .returning(TicketCounter.value))
    if postgres:
        with db.engine.begin() as own:
            value = own.execute(statement).scalar_one()
    else:
        value = db.session.execute(statement).scalar_one()
    return f"{CHANNELS[channel]}-{year}-{value:06d}"


def _sync(ticket: Ticket, workflow, actor: User) -> None:
    """Make the task table match what the workflow now waits for, close a finished ticket, save state."""
    promises.sync(ticket, workflow)  # before the new tasks: the task that keeps a promise shows its due time
    ready = {str(t.id): t for t in runtime.ready_human_tasks(workflow)}
    active = active_tasks(ticket)
    known = {task.spiff_task_id for task in active}
    for task in active:
        if task.spiff_task_id not in ready:
            task.state = "cancelled"
            sla.cancel(sla.clocks_of(task))
            audit.record(ticket, actor, "task_cancelled", task)
    for spiff_id, spiff_task in ready.items():
        if spiff_id not in known:
            task = _new_task(ticket, spiff_task)
            active.append(task)
            owner = {"assignee": task.assignee.username} if task.assignee else {}
            audit.record(ticket, actor, "task_created", task, name=task.name, role=task.role, **owner)
            live.task_arrived(task, actor)
    db.session.info.setdefault(_LEAVES_WAITING, {})[ticket] = active
    timers.sync(ticket, workflow)  # a timer that fired is in the history before the close it led to
    if ticket.status == "open" and runtime.finished(workflow):
        ticket.status, ticket.closed_at = "closed", clock.now()
        sla.meet_ticket(ticket)
        notice_hooks.on(ticket, "closed")  # its history line before "closed", which stays the ticket's last word
        audit.record(ticket, actor, "closed")
    elif ticket.status == "open" and runtime.stuck(workflow):
        _incident(ticket, actor, "the process waits for nothing that can still happen")
    report_facts.record_ticket(ticket)
    runtime.save(ticket, workflow)
    _touch(ticket)


def _new_task(ticket: Ticket, spiff_task) -> HumanTask:
    spec, props = spiff_task.task_spec, runtime.properties(spiff_task)
    task = HumanTask(spiff_task_id=str(spiff_task.id), element_id=spec.bpmn_id,
                     name=runtime.title_of(spiff_task), name_zh=runtime.title_of(spiff_task, chinese=True),
                     role=runtime.role_of(spiff_task) or "supervisor",
                     priority=ticket.priority, form_key=props.get("form"), created_at=clock.now(),
                     **{copy: getattr(ticket, column) for copy, column in HumanTask.TICKET_COPIES.items()})
    set_committed_value(task, "ticket", ticket)  # not task.ticket = ticket: see step_rows.add_object
    step_rows.add_object(task)
    owner = _owner(ticket, props.get("assignee"))
    if owner is not None:  # handed straight to its owner: nobody has to pick it up, no response clock
        task.assignee, task.state, task.claimed_at = owner, "claimed", clock.now()
    clocks = sla.start_clocks(ticket, task, spec.bpmn_id, props, sla.KINDS if owner is None else ("resolution",))
    promised = promises.due_for(ticket, spec.bpmn_id)
    task.due_at = min([c.due_at for c in clocks] + ([promised] if promised else []), default=None)
    return task


def _owner(ticket: Ticket, assignee: str | None) -> User | None:
    """Who a task's ``assignee`` property names: ``creator`` (who opened the ticket), ``account_manager`` (the
    customer's own manager; without one who can act, the supervisors are told) or the element id of an earlier
    task (who completed it last): the first responder keeps the case (首问负责制). None: the role's queue.
    """
    if not assignee:
        return None
    if assignee == account_managers.KEYWORD:
        person = account_managers.of_ticket(ticket)
        if person is None:
            account_managers.report_missing(ticket)
    elif assignee == "creator":
        person = ticket.creator
    else:
        done = [t for t in ticket.tasks if t.element_id == assignee and t.state == "completed"]
        person = db.session.get(User, done[-1].completed_by_id) if done else None
    return person if person is not None and person.active else None
