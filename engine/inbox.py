"""Read-only lists for the task inbox and the ticket list: indexed queries that never load a workflow.

Every list holds only what lies within the user's branches (engine.directory.branches). A page is a constant
number of statements whatever its length: the rows it shows come with their ticket and assignee in
one query, without the ticket's workflow blob. Due-time lists are ordered ``due_at NULLS LAST, id``, the order of
the partial indexes over the tasks still waiting: all of them (``ix_human_tasks_active_due``), a role's
(``ix_human_tasks_role_due``) and a person's (``ix_human_tasks_mine_due``), so the first page reads only its rows.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import Integer, Row, and_, bindparam, case, false, func, literal, or_, select, union_all

from engine import clock, customers
from engine.db import db
from engine.directory import branches
from engine.errors import InvalidInput
from engine.models import (
    ACTIVE_TASK_STATES,
    CHANNELS,
    PRIORITIES,
    TASK_STATES,
    TICKET_STATES,
    Customer,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    Ticket,
    User,
    UserRole,
)

VIEWS = ("mine", "queues", "team")
SLA_STATES = ("on_track", "warning", "breached")
SORTS = ("due", "age", "priority")
TEAM_ROLES = ("supervisor", "admin")
COUNT_CAP = 100  # a view's count stops here (shown "99+"): a refresh reads at most this many tasks per view
BY_DUE = (HumanTask.due_at.asc().nulls_last(), HumanTask.id)  # the order of ix_human_tasks_active_due


TASK_COLUMNS = (HumanTask.id, HumanTask.ticket_id, HumanTask.name, HumanTask.element_id, HumanTask.role,
                HumanTask.state, HumanTask.priority, HumanTask.sla_state, HumanTask.form_key, HumanTask.created_at,
                HumanTask.due_at, HumanTask.claimed_at, HumanTask.completed_at)
TICKET_COLUMNS = {"id": HumanTask.ticket_id,  # the ticket's columns a line shows, as the task's copies
                  **{column: getattr(HumanTask, copy) for copy, column in HumanTask.TICKET_COPIES.items()}}


def tasks_for(user: User, role: str | None = None, mine: bool = False, state: str | None = None,
              limit: int = 100, offset: int = 0) -> list[SimpleNamespace]:
    """Tasks of the user's roles plus those assigned to them, on tickets of their branches, soonest due first.

    Read-only lines in one query: the task's columns, ``ticket`` (id, number, title, channel, branch_id: the
    task's copies, so the tickets are not read) and ``assignee`` (username) as attributes, as HumanTask has them.
    Plain rows on the session's connection, not through the ORM: a list of 100 ORM objects spent most of its time
    making them, and the ORM's own handling of plain rows was still most of a list's CPU (issue 17). Nothing is
    flushed first: a list is a request of its own, with nothing pending."""
    _check_choice("state", state, TASK_STATES)
    scope = branches.visible_ids(user)
    roles = [name for name in sorted(user.role_names) if role in (None, name)]
    query = _tasks_query((state,) if state else ACTIVE_TASK_STATES, 0 if mine else len(roles), role is not None,
                         mine, scope is not None)
    rows = db.session.connection().execute(query, {
        "user_id": user.id, "roles": roles, "role": role, "window": offset + limit,
        **{f"role_{i}": name for i, name in enumerate(roles)}, **branches.bound_ids(scope), "limit": limit,
        "offset": offset})
    return [_line(row) for row in rows]


def _line(row: Row) -> SimpleNamespace:
    """One line of tasks_for: the task's columns, its ``ticket`` and its ``assignee`` (None: nobody's)."""
    values = row._mapping
    ticket = SimpleNamespace(**{name: values[f"ticket__{name}"] for name in TICKET_COLUMNS})
    assignee = SimpleNamespace(username=values["username"]) if values["username"] is not None else None
    return SimpleNamespace(**{column.key: values[column.key] for column in TASK_COLUMNS}, ticket=ticket,
                           assignee=assignee)


@lru_cache(maxsize=64)
def _tasks_query(states: tuple[str, ...], queues: int, by_role: bool, mine: bool, scoped: bool):
    """tasks_for's statement, built once per kind, states and number of queues; the user, roles, branches and page
    are parameters.

    Each of the user's queues (a role) is a part of its own, read in the order of ``ix_human_tasks_role_due`` up to
    the page's end, and so are the tasks the user holds of other roles (``ix_human_tasks_mine_due``): the page is
    the soonest of those few rows. One walk of the due-time order filtered by role would read every task of other
    roles due sooner, all open tasks when the user's queues are empty."""
    parts = [(_one_value(HumanTask.role, bindparam(f"role_{i}")), HumanTask.role)  # the roles, filtered by ``role``
             for i in range(queues)]
    held = _one_value(HumanTask.assignee_id, bindparam("user_id"))
    if by_role:
        held = and_(held, HumanTask.role == bindparam("role"))
    held = held if mine else and_(held, HumanTask.role.not_in(bindparam("roles", expanding=True)))
    parts.append((held, HumanTask.assignee_id))
    window = {"type_": Integer, "literal_execute": True}  # the planner sees the page: the due-time indexes serve it
    lines = _soonest_of([(_part(part, states, scoped), column) for part, column in parts],
                        bindparam("window", **window))
    return (select(*(lines.c[column.key] for column in TASK_COLUMNS),
                   *(lines.c[f"ticket__{name}"] for name in TICKET_COLUMNS), lines.c.username)
            .order_by(lines.c.due_at.asc().nulls_last(), lines.c.id)
            .limit(bindparam("limit", **window)).offset(bindparam("offset", **window)))


def _part(condition, states: tuple[str, ...], scoped: bool):
    """One part of the task list: its tasks, with their ticket's columns and assignee's name."""
    query = (select(*TASK_COLUMNS, *(column.label(f"ticket__{name}") for name, column in TICKET_COLUMNS.items()),
                    User.username)
             .outerjoin(HumanTask.assignee).where(condition, state_in(states)))
    return query.where(branches.within_bound(HumanTask.ticket_branch_id)) if scoped else query


def _soonest_of(parts: list, window):
    """The rows of ``parts``, each read in due-time order up to ``window`` rows, as one subquery for the caller to
    order and page. A part is a select (the same columns for all, ``due_at`` among them) and the column it holds to
    one value (``_one_value``): a role or a person, whose index it walks."""
    return union_all(*(select(part.order_by(column, *BY_DUE).limit(window).subquery())
                       for part, column in parts)).subquery("lines")


def _one_value(column, value):
    """``column = value`` for a part ordered by ``column`` first, so that only the column's own index serves it
    (``ix_human_tasks_role_due``, ``ix_human_tasks_mine_due``).

    Written as a range of one value: PostgreSQL folds an equality into a constant and drops the column from the
    order, and may then walk ``ix_human_tasks_active_due`` (all open tasks in due order) and filter, when its
    statistics expect a queue's tasks among every other row: they cannot see that a queue of half the open tasks is
    due after the other half, and a page then reads all of those first."""
    return column.between(value, value)


def state_in(states: tuple[str, ...]):
    """``state IN (...)`` with the states written into the SQL as constants (they come from TASK_STATES),
    so that both databases match it to the partial index's predicate; a bound parameter would hide it."""
    return HumanTask.state.in_(bindparam("states", states, unique=True, expanding=True,
                                                literal_execute=True))


def tickets(viewer: User, status: str | None = None, channel: str | None = None, customer_id: int | None = None,
            limit: int = 100, offset: int = 0) -> list[Ticket]:
    """Tickets of the viewer's branches, newest first, optionally of one status, channel and customer."""
    _check_choice("status", status, TICKET_STATES)
    _check_choice("channel", channel, tuple(CHANNELS))
    query = select(Ticket).where(branches.visible(viewer, Ticket.branch_id))
    if customer_id is not None:
        query = query.where(Ticket.customer_id == customer_id)
    if status:
        query = query.where(Ticket.status == status)
    if channel:
        query = query.where(Ticket.channel == channel)
    return list(db.session.scalars(query.order_by(Ticket.id.desc()).limit(limit).offset(offset)))


def _check_choice(field: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise InvalidInput(f"{field} must be one of {', '.join(choices)}", [{"field": field, "message": "unknown"}])


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One line of the inbox: the plain values the list shows, read in the list's single query (no ORM entities,
    no lazy loads). ``role`` and ``assignee_id`` are the task's, so that ``tickets.may_work`` takes a row."""

    task_id: int
    name: str
    name_zh: str | None
    role: str
    assignee_id: int | None
    priority: str
    sla_state: str | None
    created_at: datetime
    due_at: datetime | None
    ticket_id: int
    number: str
    title: str
    channel: str
    branch_id: int | None
    customer_name: str | None
    customer_tier: str | None
    process_name: str
    process_name_zh: str | None
    assignee_username: str | None
    assignee_name: str | None

    def sla(self, now: datetime) -> str:
        return sla_status(self.sla_state, self.due_at, now)


ROW_COLUMNS = tuple(column.label(field.name) for column, field in zip(  # InboxRow's fields, by their names
    (HumanTask.id, HumanTask.name, HumanTask.name_zh, HumanTask.role, HumanTask.assignee_id, HumanTask.priority,
     HumanTask.sla_state, HumanTask.created_at, HumanTask.due_at, Ticket.id, Ticket.number, Ticket.title,
     Ticket.channel, Ticket.branch_id, Customer.name, Customer.tier, ProcessModel.name, ProcessModel.name_zh,
     User.username, User.display_name), fields(InboxRow), strict=True))


def sla_status(sla_state: str | None, due_at: datetime | None, now: datetime) -> str:
    """on_track | warning | breached: a clock past its due time counts as breached before the sweep says so."""
    if sla_state == "breached" or (due_at is not None and due_at <= now):
        return "breached"
    return "warning" if sla_state == "warned" else "on_track"


def inbox(user: User, view: str = "mine", channel: str | None = None, process: str | None = None,
          task: str | None = None, customer: str | None = None, sla: str | None = None,
          sort: str = "due", limit: int = 200) -> list[InboxRow]:
    """The rows of one inbox view, filtered and sorted, in one query (no workflow, no lazy loads)."""
    _check_choice("view", view, VIEWS)
    _check_choice("channel", channel, tuple(CHANNELS))
    _check_choice("sla", sla, SLA_STATES)
    _check_choice("sort", sort, SORTS)
    query = (select(*ROW_COLUMNS).select_from(HumanTask)
             .join(Ticket, HumanTask.ticket_id == Ticket.id)
             .join(ProcessVersion, Ticket.process_version_id == ProcessVersion.id)
             .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id)
             .outerjoin(Customer, Ticket.customer_id == Customer.id)
             .outerjoin(User, HumanTask.assignee_id == User.id)
             .where(_view_condition(user, view), branches.visible(user, Ticket.branch_id)))
    if channel:
        query = query.where(Ticket.channel == channel)
    if process:
        query = query.where(ProcessModel.key == process)
    if task:
        query = query.where(HumanTask.name.ilike(f"%{_escaped(task)}%", escape="\\"))
    if customer:
        pattern = f"%{_escaped(customer)}%"
        query = query.where(or_(Customer.name.ilike(pattern, escape="\\"), Customer.code.ilike(pattern, escape="\\")))
    if sla:
        query = query.where(_sla_condition(sla, clock.now()))
    roles = sorted(user.role_names)
    if view == "queues" and sort == "due" and roles:  # each queue from its role's index, then merged
        lines = _soonest_of([(query.where(_one_value(HumanTask.role, role)), HumanTask.role) for role in roles], limit)
        query = select(lines).order_by(lines.c.due_at.asc().nulls_last(), lines.c.task_id)
    elif view == "mine" and sort == "due":  # from the person's index (_one_value)
        query = query.order_by(HumanTask.assignee_id, *BY_DUE)
    else:
        query = query.order_by(*_order(sort))
    return [InboxRow(*row) for row in db.session.execute(query.limit(limit))]


def counts(user: User) -> dict[str, int]:
    """How many tasks each view holds, up to COUNT_CAP, in one statement; "team" only for those who may see it.

    Each count reads at most COUNT_CAP index entries, so a refresh costs the same at 100,000 open tasks.
    """
    scope = select(literal(1)).select_from(HumanTask).where(branches.visible(user, HumanTask.ticket_branch_id))
    columns = {view: select(func.count()).select_from(scope.where(_view_condition(user, view))
                                                      .limit(COUNT_CAP).subquery()).scalar_subquery()
               for view in VIEWS if view != "team" or user.has_role(*TEAM_ROLES)}
    row = db.session.execute(select(*columns.values())).one()
    return dict(zip(columns, row, strict=True))


def worklist(user, role, assignee_id):
    """Whether a task is in the user's "Mine" or "My queues": theirs, or nobody's and of one of their roles.
    ``role`` and ``assignee_id``: the columns saying whose the task is (the live notices keep them per event);
    ``user``: anything with ``id`` and ``role_names``."""
    return or_(assignee_id == user.id, and_(assignee_id.is_(None), role.in_(sorted(user.role_names))))


def _view_condition(user: User, view: str):
    active = state_in(ACTIVE_TASK_STATES)
    if view == "mine":
        return and_(active, _one_value(HumanTask.assignee_id, user.id))
    if view == "queues":
        return and_(state_in(("open",)), HumanTask.role.in_(user.role_names))
    return active if user.has_role(*TEAM_ROLES) else false()


def _sla_condition(state: str, now: datetime):
    # coalesce: a NULL sla_state must compare as "not breached", not as unknown
    state_now = func.coalesce(HumanTask.sla_state, "")
    overdue = or_(state_now == "breached", and_(HumanTask.due_at.is_not(None), HumanTask.due_at <= now))
    if state == "breached":
        return overdue
    if state == "warning":  # in the words of ix_human_tasks_warned_due's predicate, so the strip walks only it
        warned = HumanTask.sla_state == literal("warned", literal_execute=True)
        return and_(warned, or_(HumanTask.due_at.is_(None), HumanTask.due_at > now))
    return and_(state_now == "", ~overdue)


def _order(sort: str) -> list:
    if sort == "age":
        return [HumanTask.created_at, HumanTask.id]
    if sort == "priority":
        rank = case({p: i for i, p in enumerate(PRIORITIES)}, value=HumanTask.priority, else_=0)
        return [rank.desc(), *BY_DUE]
    return list(BY_DUE)


def _escaped(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_customers(viewer: User, text: str, limit: int = 20) -> list[Customer]:
    """Customers of the viewer's branches matching ``text`` (engine.customers.search), for picking one."""
    return customers.search(viewer, text, limit=limit) if text.strip() else []


@dataclass(frozen=True, slots=True)
class Holder:
    """Someone a task may be handed to, as the Team view's choice lists show them."""

    id: int
    username: str
    display_name: str


def holders(rows: list[InboxRow]) -> dict[tuple[str, int | None], list[Holder]]:
    """Whom a supervisor may hand each row's task to, by (role, ticket branch): active users with the task's
    role who see the ticket's branch, by display name, as (id, username, display_name). One statement per page."""
    pairs = {(row.role, row.branch_id) for row in rows}
    if not pairs:
        return {}
    reach = branches.audiences({branch_id for _, branch_id in pairs})
    found = db.session.execute(
        select(reach.c.branch_id, UserRole.role, User.id, User.username, User.display_name)
        .join(User, User.branch_id == reach.c.seen_from).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_(sorted({role for role, _ in pairs})), User.active.is_(True))
        .order_by(User.display_name, User.id))
    people: dict[tuple[str, int | None], list[Holder]] = {pair: [] for pair in pairs}
    for branch_id, role, *person in found:
        if (role, branch_id) in people:
            people[(role, branch_id)].append(Holder(*person))
    return people
