"""The report facts: what the reports count, written by the engine step in which it happens.

The reports aggregate three narrow tables instead of joining the wide ticket, task and clock rows and
parsing ticket JSON (engine/reports.py). Each fact is written in the step that makes it known, so it
commits or rolls back with that step:

- a ticket's fact (``ticket_facts``) at every step that runs its workflow or ends it: status, the values
  the processes collect (fault level, satisfaction, revisit, reopened, retention outcome) and the
  customer's tier, industry and account manager as they are at that step;
- a task's fact (``task_facts``) once, when it is completed: its step, who did it, how long it took;
- a clock's fact (``sla_facts``) once, when its outcome becomes known: at the breach, or when the promise
  was kept; with the task's holder and the customer's tier of that moment.

``backfill`` writes the facts of rows that have none, from their current state (an upgraded database).

The facts name their ticket, task, clock, branch, customer and people by id, without foreign keys, as the
history tables of workflow engines do (Camunda's and Flowable's ACT_HI_* have none): each fact is derived in the
step that has just read or written the rows it names, and nothing is ever deleted that it could outlive, so a
constraint would only make the database look each of them up again, on every step (issue 17: a third of a
completion's rows read). The tickets, tasks, clocks, timers, the history (ticket_events) and the outbox keep theirs.
"""

from sqlalchemy import Connection, and_, case, func, insert, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from engine import clock, customers, step_rows
from engine.db import db
from engine.models import (
    Customer,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    SlaFact,
    TaskFact,
    Ticket,
    TicketFact,
)
from engine.report_sql import seconds

COMPLAINT_MARK = "complaint"  # the complaint processes are named so (yellow_complaint)


def is_complaint(process_key: str) -> bool:
    return COMPLAINT_MARK in process_key


def record_ticket(ticket: Ticket) -> None:
    """Bring the ticket's fact up to date with its status, its data and its customer: one upsert with the step's
    other rows (engine.step_rows), no read of the fact first."""
    customer = customers.of_ticket(ticket)
    values = ticket_values(
        branch_id=ticket.branch_id, channel=ticket.channel, process_key=ticket.process_version.model.key,
        status=ticket.status, opened_at=ticket.created_at, closed_at=ticket.closed_at, customer_id=ticket.customer_id,
        tier=customer.tier if customer else None, industry=customer.industry if customer else None,
        manager_id=customer.account_manager_id if customer else None, data=ticket.data)
    step_rows.upsert(TicketFact, "ticket_id", ticket_id=ticket, **values)
    held = db.session.identity_map.get(identity_key(TicketFact, ticket.id)) if ticket.id else None
    if held is not None:  # a copy read earlier in this session is out of date now
        db.session.expire(held)


def ticket_values(*, process_key: str, data: dict, **columns) -> dict:
    """A ticket fact's columns: the ticket's and its customer's as given, and the values the processes collect,
    taken from the data only where they have their type (a diagram may write anything there)."""
    outcome = _of_type(data.get("outcome"), str)
    return {**columns, "process_key": process_key, "complaint": is_complaint(process_key),
            "fault_level": _of_type(data.get("fault_level"), int),
            "satisfaction": _of_type(data.get("satisfaction"), int, float),
            "revisit_done": _of_type(data.get("revisit_done"), bool),
            "reopened": _of_type(data.get("reopened"), bool),
            "outcome": outcome[:16] if outcome else None}


def _of_type(value, *types):
    """The value when it has one of the types, else None (a boolean is not a number here)."""
    if isinstance(value, bool) and bool not in types:
        return None
    return value if isinstance(value, types) else None


def record_task(task: HumanTask) -> None:
    """The task was completed just now."""
    step_rows.add(
        TaskFact, task_id=task, ticket_id=task.ticket, branch_id=task.ticket.branch_id,
        process_key=task.ticket.process_version.model.key, step=task.element_id, name=task.name, role=task.role,
        completed_by_id=task.completed_by_id, completed_at=task.completed_at,
        response_seconds=_whole_seconds(task.created_at, task.claimed_at),
        duration_seconds=_whole_seconds(task.created_at, task.completed_at))


def _whole_seconds(start, end) -> int | None:
    return None if end is None else round((end - start).total_seconds())


def record_clock(sla_clock: SlaClock, breached: bool) -> None:
    """The clock breached, or its promise was kept, just now."""
    task, ticket = sla_clock.task, sla_clock.ticket
    customer = customers.of_ticket(ticket)
    step_rows.add(
        SlaFact, clock_id=sla_clock, ticket_id=ticket, branch_id=ticket.branch_id, kind=sla_clock.kind,
        channel=ticket.channel,
        process_key=ticket.process_version.model.key, step=task.element_id if task else sla_clock.until or "ticket",
        role=task.role if task else None, member_id=task.assignee if task else None,
        tier=customer.tier if customer else None, decided_at=clock.now(), breached=breached,
        paused_seconds=sla_clock.paused_seconds)


def backfill(connection: Connection, batch: int = 5000) -> None:
    """Write the facts of the tickets, completed tasks and decided clocks that have none, from what the rows
    say now: for an upgraded database, the tier, holder and manager of today are the only ones left to know.

    Tickets go through ticket_values in batches, so that odd data (a "fault_level" a diagram wrote as text)
    is read as in a live step instead of failing the upgrade; tasks and clocks are one INSERT ... SELECT each.
    """
    last = 0
    while rows := connection.execute(_tickets_without_facts(last, batch)).all():
        connection.execute(insert(TicketFact), [{"ticket_id": r.ticket_id, **ticket_values(**{
            k: v for k, v in r._mapping.items() if k != "ticket_id"})} for r in rows])
        last = rows[-1].ticket_id
    connection.execute(_task_backfill())
    connection.execute(_clock_backfill())


def _process_key(query):
    return (query.join(ProcessVersion, Ticket.process_version_id == ProcessVersion.id)
            .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id))


def _tickets_without_facts(after: int, batch: int):
    """The next ``batch`` tickets after id ``after`` that have no fact, with what their fact is made of."""
    columns = (Ticket.id.label("ticket_id"), Ticket.branch_id, Ticket.channel, ProcessModel.key.label("process_key"),
               Ticket.status, Ticket.created_at.label("opened_at"), Ticket.closed_at, Ticket.customer_id,
               Customer.tier, Customer.industry, Customer.account_manager_id.label("manager_id"), Ticket.data)
    return _process_key(select(*columns).select_from(Ticket)) \
        .outerjoin(Customer, Ticket.customer_id == Customer.id) \
        .where(Ticket.id > after, ~select(TicketFact.ticket_id).where(TicketFact.ticket_id == Ticket.id).exists()) \
        .order_by(Ticket.id).limit(batch)


def _task_backfill():
    columns = {
        "task_id": HumanTask.id, "ticket_id": HumanTask.ticket_id, "branch_id": Ticket.branch_id,
        "process_key": ProcessModel.key, "step": HumanTask.element_id, "name": HumanTask.name,
        "role": HumanTask.role, "completed_by_id": HumanTask.completed_by_id, "completed_at": HumanTask.completed_at,
        "response_seconds": seconds(HumanTask.created_at, HumanTask.claimed_at),
        "duration_seconds": seconds(HumanTask.created_at, HumanTask.completed_at),
    }
    query = _process_key(select(*columns.values()).select_from(HumanTask)
                         .join(Ticket, HumanTask.ticket_id == Ticket.id)) \
        .where(HumanTask.state == "completed", HumanTask.completed_at.is_not(None),
               ~select(TaskFact.task_id).where(TaskFact.task_id == HumanTask.id).exists())
    return insert(TaskFact).from_select(list(columns), query)


def _clock_backfill():
    """A clock's outcome is known when it breached, or when it was met without a breach."""
    holder = aliased(HumanTask)
    breached = SlaClock.breached_at.is_not(None)
    columns = {
        "clock_id": SlaClock.id, "ticket_id": SlaClock.ticket_id, "branch_id": Ticket.branch_id,
        "kind": SlaClock.kind, "channel": Ticket.channel, "process_key": ProcessModel.key,
        "step": func.coalesce(holder.element_id, literal("ticket")), "role": holder.role,
        "member_id": holder.assignee_id, "tier": Customer.tier,
        "decided_at": case((breached, SlaClock.breached_at), else_=SlaClock.met_at), "breached": breached,
        "paused_seconds": SlaClock.paused_seconds,
    }
    query = _process_key(select(*columns.values()).select_from(SlaClock)
                         .join(Ticket, SlaClock.ticket_id == Ticket.id)) \
        .outerjoin(holder, SlaClock.task_id == holder.id) \
        .outerjoin(Customer, Ticket.customer_id == Customer.id) \
        .where(breached | and_(SlaClock.state == "met", SlaClock.met_at.is_not(None)),
               ~select(SlaFact.clock_id).where(SlaFact.clock_id == SlaClock.id).exists())
    return insert(SlaFact).from_select(list(columns), query)
