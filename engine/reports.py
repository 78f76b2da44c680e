"""The desk's figures: dashboard, SLA compliance, volumes and flow, account managers, customers.

Each figure is one SQL aggregation over the ticket, task and SLA-clock tables (group by in the
database over indexed range columns, no ticket loaded into Python); bench/reports.py times them over
a year of a busy desk. Python only adds up the few aggregated rows, fills empty days and ranks.
Every function checks that the reader may see reports, and counts only the tickets of the reader's
branches (headquarters: all) with what hangs off them: tasks, clocks, and the changes of their customers.

An SLA clock counts where its outcome became known: a breach on the day it breached (also when the
ticket was later finished or cancelled), a kept promise on the day it was met. Clocks still running
or cancelled before their due time are not counted.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from engine import branches, clock, permissions
from engine.db import db
from engine.errors import InvalidInput
from engine.models import (
    ACTIVE_TASK_STATES,
    TIERS,
    Customer,
    CustomerChange,
    HumanTask,
    ProcessModel,
    ProcessVersion,
    SlaClock,
    Ticket,
    User,
    UserRole,
)
from engine.report_range import DateRange, local_midnight
from engine.report_sql import local_day, local_week, percentiles, seconds

Assignee = aliased(User)
COMPLAINT = ProcessModel.key.like("%complaint%")  # the complaint processes are named so (yellow_complaint)
SLA_KINDS = ("response", "resolution")
OUTCOMES = ("met", "breached")
DUE_SOON_LIMIT = 100
OLDEST_LIMIT = 10


@dataclass
class Table:
    """One table of a report: column keys (their English and Chinese labels are in web.exports) and rows."""

    key: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def records(self) -> list[dict]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass
class Report:
    key: str
    range: DateRange
    tables: list[Table]

    def table(self, key: str) -> Table:
        found = next((t for t in self.tables if t.key == key), None)
        if found is None:
            raise InvalidInput(f"the {self.key} report has no table {key!r}; it has "
                               f"{', '.join(t.key for t in self.tables)}", [{"field": "table", "message": "unknown"}])
        return found


# -- joins and dimensions of the SLA figures ----------------------------------------------------------

def _join_process(q: Select) -> Select:
    return (q.join(ProcessVersion, Ticket.process_version_id == ProcessVersion.id)
            .join(ProcessModel, ProcessVersion.model_id == ProcessModel.id))


JOINS: dict[str, Callable[[Select], Select]] = {  # in the order they are made
    "ticket": lambda q: q.join(Ticket, SlaClock.ticket_id == Ticket.id),
    "process": _join_process,
    "task": lambda q: q.outerjoin(HumanTask, SlaClock.task_id == HumanTask.id),
    "member": lambda q: q.outerjoin(Assignee, HumanTask.assignee_id == Assignee.id),
    "customer": lambda q: q.outerjoin(Customer, Ticket.customer_id == Customer.id),
}
# dimension: (what it groups by, the joins it needs, in order); a ticket's own clock has step 'ticket'
DIMENSIONS: dict[str, tuple[ColumnElement, tuple[str, ...]]] = {
    "channel": (Ticket.channel, ("ticket",)),
    "process": (ProcessModel.key, ("ticket", "process")),
    "step": (func.coalesce(HumanTask.element_id, "ticket"), ("task",)),
    "role": (HumanTask.role, ("task",)),
    "member": (Assignee.username, ("task", "member")),
    "tier": (Customer.tier, ("ticket", "customer")),
}


def _joins_for(*needed: tuple[str, ...]) -> tuple[str, ...]:
    """The joins several dimensions need, each once, in the order they must be made."""
    return tuple(name for name in JOINS if any(name in n for n in needed))


def _seen(actor: User) -> set[int] | None:
    """The branches whose tickets the reader's figures count (None: headquarters, every ticket), once
    the reader is known to see reports."""
    permissions.require(actor, "reports")
    return branches.visible_ids(actor)


def _owned(seen: set[int] | None, key: ColumnElement, model: type[Ticket] | type[Customer] = Ticket) -> ColumnElement:
    """Rows whose ``key`` points at a ticket (or customer) of the reader's branches; headquarters'
    figures get no condition at all, so they pay for no subquery."""
    if seen is None:
        return true()
    return key.in_(select(model.id).where(branches.within(seen, model.branch_id)))


def _clocks(rng: DateRange, kind: str | None, seen: set[int] | None,
            joins: tuple[str, ...] = ()) -> Callable[..., Select]:
    """A select over the clocks decided in the range (breached, or met) of the tickets the reader sees,
    joined only as asked: a figure that needs no ticket column does not pay for the join with the tickets."""
    def build(*columns) -> Select:
        breached = and_(SlaClock.breached_at >= rng.start, SlaClock.breached_at < rng.end)
        met = and_(SlaClock.state == "met", SlaClock.met_at >= rng.start, SlaClock.met_at < rng.end)
        query = select(*columns).select_from(SlaClock)
        for name in joins:
            query = JOINS[name](query)
        query = query.where(or_(breached, met), _owned(seen, SlaClock.ticket_id))
        return query.where(SlaClock.kind == kind) if kind else query
    return build


BREACHED = SlaClock.breached_at.is_not(None)


def _outcome_counts() -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    return (func.count().filter(~BREACHED), func.count().filter(BREACHED),
            func.coalesce(func.sum(SlaClock.paused_seconds), 0))


def _compliance(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 1) if met + breached else None


def _check_choice(name: str, value: str | None, choices) -> None:
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value!r}",
                           [{"field": name, "message": "unknown"}])


# -- the reports --------------------------------------------------------------------------------------

def dashboard(actor: User, rng: DateRange) -> Report:
    """Now: open tickets, tasks due within the hour, today's breaches, the oldest open tickets;
    and the weekly SLA compliance over the range (the weeks up to today)."""
    seen = _seen(actor)
    now = clock.now()
    today = now.astimezone(rng.tz).date()
    waiting = Ticket.waiting_since.is_not(None)
    mine = branches.within(seen, Ticket.branch_id)
    open_rows = db.session.execute(
        select(Ticket.channel, func.count().filter(~waiting), func.count().filter(waiting))
        .where(Ticket.status == "open", mine).group_by(Ticket.channel).order_by(Ticket.channel)).all()
    due = db.session.execute(
        select(HumanTask.id, Ticket.number, HumanTask.name, HumanTask.role, Assignee.username, HumanTask.due_at)
        .join(Ticket, HumanTask.ticket_id == Ticket.id).outerjoin(Assignee, HumanTask.assignee_id == Assignee.id)
        .where(mine, HumanTask.state.in_(ACTIVE_TASK_STATES), HumanTask.due_at >= now,
               HumanTask.due_at < now + timedelta(hours=1))
        .order_by(HumanTask.due_at, HumanTask.id).limit(DUE_SOON_LIMIT)).all()
    day_start, day_end = local_midnight(today, rng.tz), local_midnight(today + timedelta(days=1), rng.tz)
    breaches = db.session.execute(
        select(Ticket.channel, func.count()).select_from(SlaClock).join(Ticket, SlaClock.ticket_id == Ticket.id)
        .where(SlaClock.breached_at >= day_start, SlaClock.breached_at < day_end, mine)
        .group_by(Ticket.channel).order_by(Ticket.channel)).all()
    oldest = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.title, Ticket.channel, Ticket.created_at)
        .where(Ticket.status == "open", mine).order_by(Ticket.created_at, Ticket.id).limit(OLDEST_LIMIT)).all()
    return Report("dashboard", rng, [
        Table("open_tickets", ("channel", "active", "waiting", "total"),
              [(c, a, w, a + w) for c, a, w in open_rows]),
        Table("due_next_hour", ("task_id", "ticket", "task", "role", "assignee", "due_at"), [tuple(r) for r in due]),
        Table("breaches_today", ("channel", "breaches"), [tuple(r) for r in breaches]),
        Table("oldest_open", ("ticket_id", "ticket", "title", "channel", "created_at", "age_hours"),
              [(*r, round((now - r.created_at).total_seconds() / 3600, 1)) for r in oldest]),
        sla_trend(rng, seen),
    ])


def sla_trend(rng: DateRange, seen: set[int] | None) -> Table:
    """Met and breached clocks per local week (Monday first) of the range, with the compliance."""
    decided = func.coalesce(SlaClock.breached_at, SlaClock.met_at)
    week = local_week(decided, rng.tz, rng.start, rng.end)
    met, breached, _ = _outcome_counts()
    found = {w: (m, b) for w, m, b in db.session.execute(
        _clocks(rng, None, seen)(week, met, breached).group_by(week))}
    mondays = sorted({(d - timedelta(days=d.weekday())).isoformat() for d in rng.days()})
    rows = [(w, *found.get(w, (0, 0))) for w in mondays]
    return Table("sla_trend", ("week", "met", "breached", "compliance_pct"),
                 [(w, m, b, _compliance(m, b)) for w, m, b in rows])


def sla(actor: User, rng: DateRange, by: str | None = None, kind: str | None = None) -> Report:
    """Met, breached and paused time of the SLA clocks decided in the range, per dimension (or one).

    One scan groups the clocks by every dimension asked for at once; each dimension's table then adds
    up those few group rows, so six tables cost one pass over the clocks, not six.
    """
    seen = _seen(actor)
    _check_choice("by", by, DIMENSIONS)
    _check_choice("kind", kind, SLA_KINDS)
    names = [by] if by else list(DIMENSIONS)
    groups = [DIMENSIONS[name][0] for name in names]
    joins = _joins_for(*(DIMENSIONS[name][1] for name in names))
    cube = db.session.execute(_clocks(rng, kind, seen, joins)(*groups, *_outcome_counts()).group_by(*groups)).all()
    tables = []
    for i, name in enumerate(names):
        sums: dict = {}
        for row in cube:
            met, breached, paused = sums.get(row[i], (0, 0, 0))
            sums[row[i]] = (met + row[-3], breached + row[-2], paused + int(row[-1]))
        ordered = sorted(sums.items(), key=lambda item: (item[0] is None, item[0] or ""))  # the empty group last
        tables.append(Table(f"by_{name}", (name, "met", "breached", "compliance_pct", "paused_seconds"),
                            [(g, m, b, _compliance(m, b), p) for g, (m, b, p) in ordered]))
    return Report("sla", rng, tables)


def sla_tickets(actor: User, rng: DateRange, by: str, value: str | None, outcome: str | None = None,
                kind: str | None = None, limit: int = 100, offset: int = 0) -> Report:
    """Drill-down: the tickets behind one figure of the SLA report (value None: the empty group)."""
    seen = _seen(actor)
    _check_choice("by", by, DIMENSIONS)
    _check_choice("outcome", outcome, OUTCOMES)
    _check_choice("kind", kind, SLA_KINDS)
    group, joins = DIMENSIONS[by]
    met, breached, paused = _outcome_counts()
    query = _clocks(rng, kind, seen, _joins_for(("ticket",), joins))(
        Ticket.id, Ticket.number, Ticket.title, Ticket.channel, Ticket.status, met, breached, paused)
    query = query.where(group == value if value is not None else group.is_(None))
    if outcome:
        query = query.where(BREACHED if outcome == "breached" else ~BREACHED)
    rows = db.session.execute(query.group_by(Ticket.id, Ticket.number, Ticket.title, Ticket.channel, Ticket.status)
                              .order_by(Ticket.id).limit(limit).offset(offset)).all()
    return Report("sla_tickets", rng, [Table(
        "sla_tickets", ("ticket_id", "ticket", "title", "channel", "status", "met", "breached", "paused_seconds"),
        [(*r[:7], int(r[7])) for r in rows])])


def volumes(actor: User, rng: DateRange) -> Report:
    """Tickets opened and closed per day and channel, time per step, complaint reopen rate, faults by level."""
    seen = _seen(actor)
    mine = branches.within(seen, Ticket.branch_id)
    opened_in = and_(Ticket.created_at >= rng.start, Ticket.created_at < rng.end, mine)
    closed_in = and_(Ticket.status == "closed", Ticket.closed_at >= rng.start, Ticket.closed_at < rng.end, mine)
    opened_day = local_day(Ticket.created_at, rng.tz, rng.start, rng.end)
    closed_day = local_day(Ticket.closed_at, rng.tz, rng.start, rng.end)
    opened = dict(db.session.execute(select(opened_day, func.count()).where(opened_in).group_by(opened_day)).all())
    closed = dict(db.session.execute(select(closed_day, func.count()).where(closed_in).group_by(closed_day)).all())
    per_channel = db.session.execute(
        select(Ticket.channel, func.count().filter(opened_in), func.count().filter(closed_in))
        .where(or_(opened_in, closed_in)).group_by(Ticket.channel).order_by(Ticket.channel)).all()
    days = [d.isoformat() for d in rng.days()]
    return Report("volumes", rng, [
        Table("by_day", ("day", "opened", "closed"), [(d, opened.get(d, 0), closed.get(d, 0)) for d in days]),
        Table("by_channel", ("channel", "opened", "closed"), [tuple(r) for r in per_channel]),
        step_times(rng, seen),
        complaint_reopens(rng, seen),
        Table("fault_levels", ("fault_level", "tickets"), db_rows(
            select(Ticket.data["fault_level"].as_integer().label("level"), func.count())
            .where(opened_in, Ticket.data["fault_level"].as_integer().is_not(None))
            .group_by("level").order_by("level"))),
    ])


def db_rows(query: Select) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(query)]


def step_times(rng: DateRange, seen: set[int] | None) -> Table:
    """Median and 90th percentile of the time from a task's creation to its completion, per step."""
    base = _join_process(
        select(ProcessModel.key.label("process"), HumanTask.element_id.label("step"), HumanTask.name.label("name"),
               seconds(HumanTask.created_at, HumanTask.completed_at).label("seconds"))
        .select_from(HumanTask).join(Ticket, HumanTask.ticket_id == Ticket.id)
    ).where(HumanTask.state == "completed", HumanTask.completed_at >= rng.start, HumanTask.completed_at < rng.end,
            branches.within(seen, Ticket.branch_id))
    query = percentiles(base, ["process", "step", "name"], "seconds", (0.5, 0.9))
    rows = sorted(db.session.execute(query).all(), key=lambda r: (r[0], r[1], r[2]))
    return Table("step_times", ("process", "step", "name", "tasks", "median_seconds", "p90_seconds"),
                 [(p, s, n, c, round(float(m), 1), round(float(q), 1)) for p, s, n, c, m, q in rows])


def complaint_reopens(rng: DateRange, seen: set[int] | None) -> Table:
    """Of the complaints closed in the range, how many were reopened (the form's ``reopened``)."""
    reopened = Ticket.data["reopened"].as_boolean().is_(True)
    closed, again = db.session.execute(_join_process(
        select(func.count(), func.count().filter(reopened)).select_from(Ticket))
        .where(COMPLAINT, Ticket.status == "closed", Ticket.closed_at >= rng.start, Ticket.closed_at < rng.end,
               branches.within(seen, Ticket.branch_id))).one()
    return Table("complaint_reopens", ("closed", "reopened", "reopen_pct"),
                 [(closed, again, round(100 * again / closed, 1) if closed else None)])


# what ranks first, on a row (username, name, tasks, tickets, response, resolution, revisits, planned,
# rated, satisfaction, retained, lost): the most tickets, the best satisfaction, the quickest resolution...
MANAGER_SORTS = {
    "tickets_handled": lambda r: -r[3],
    "satisfaction": lambda r: -(r[9] or 0),
    "resolution": lambda r: r[5] if r[5] is not None else float("inf"),
    "retained": lambda r: -r[10],
}


def managers(actor: User, rng: DateRange, sort: str = "tickets_handled") -> Report:
    """Account managers ranked: the tasks they did (tickets, response and resolution times) and the
    outcomes of their customers' tickets closed in the range (revisits, satisfaction, retention)."""
    seen = _seen(actor)
    _check_choice("sort", sort, MANAGER_SORTS)
    done = and_(HumanTask.state == "completed", HumanTask.completed_at >= rng.start, HumanTask.completed_at < rng.end)
    work = {r[0]: r[1:] for r in db.session.execute(
        select(HumanTask.completed_by_id, func.count(HumanTask.ticket_id.distinct()), func.count(),
               func.avg(seconds(HumanTask.created_at, HumanTask.claimed_at)),
               func.avg(seconds(HumanTask.created_at, HumanTask.completed_at)))
        .where(done, _owned(seen, HumanTask.ticket_id)).group_by(HumanTask.completed_by_id))}
    data = Ticket.data
    revisit = data["revisit_done"].as_boolean()
    outcome = data["outcome"].as_string()
    satisfaction = data["satisfaction"].as_float()
    results = {r[0]: r[1:] for r in db.session.execute(
        select(Customer.account_manager_id, func.count().filter(revisit.is_(True)),
               func.count().filter(revisit.is_not(None)), func.avg(satisfaction), func.count(satisfaction),
               func.count().filter(outcome == "retained"), func.count().filter(outcome == "lost"))
        .select_from(Ticket).join(Customer, Ticket.customer_id == Customer.id)
        .where(Ticket.status == "closed", Ticket.closed_at >= rng.start, Ticket.closed_at < rng.end,
               branches.within(seen, Ticket.branch_id))
        .group_by(Customer.account_manager_id))}
    # the managers of the reader's branches, and those from elsewhere who have figures in them
    people = db.session.execute(
        select(User.id, User.username, User.display_name).join(UserRole)
        .where(UserRole.role == "manager",
               or_(branches.within(seen, User.branch_id), User.id.in_(sorted((work.keys() | results.keys()) - {None}))))
        .order_by(User.username)).all()
    rows = []
    for user_id, username, name in people:
        tickets, tasks, response, resolution = work.get(user_id, (0, 0, None, None))
        revisits, planned, sat, rated, retained, lost = results.get(user_id, (0, 0, None, 0, 0, 0))
        rows.append((username, name, tasks, tickets, _round(response), _round(resolution), revisits, planned,
                     rated, _round(sat, 2), retained, lost))
    ranked = sorted(rows, key=lambda r: (MANAGER_SORTS[sort](r), r[0]))
    return Report("managers", rng, [Table(
        "ranking", ("rank", "username", "name", "tasks_done", "tickets_handled", "avg_response_seconds",
                    "avg_resolution_seconds", "revisits_done", "revisits_planned", "satisfaction_count",
                    "satisfaction_avg", "retained", "lost"),
        [(n, *r) for n, r in enumerate(ranked, start=1)])])


def _round(value, digits: int = 0) -> float | None:
    return None if value is None else round(float(value), digits)


def customers(actor: User, rng: DateRange) -> Report:
    """Tickets and complaints opened in the range per customer tier and industry; credit-level and
    member-card changes made in the range (from the customer history), from which level to which."""
    seen = _seen(actor)
    tiers = _per_customer(rng, seen, Customer.tier)
    tier_rows = [(t, *tiers.get(t, (0, 0))) for t in [*TIERS, *sorted(set(tiers) - set(TIERS))]]
    industries = _per_customer(rng, seen, Customer.industry)
    industry_rows = sorted(((i, *v) for i, v in industries.items()), key=lambda r: (r[0] is None, r[0] or ""))
    return Report("customers", rng, [
        Table("by_tier", ("tier", "tickets", "complaints"), tier_rows),
        Table("by_industry", ("industry", "tickets", "complaints"), industry_rows),
        _changes(rng, seen, "credit_level", "credit_changes"),
        _changes(rng, seen, "member_card", "member_changes"),
    ])


def _per_customer(rng: DateRange, seen: set[int] | None, group: ColumnElement) -> dict:
    """{group value: (tickets, complaints)} of the tickets opened in the range."""
    return {g: (t, c) for g, t, c in db.session.execute(_join_process(
        select(group, func.count(), func.count().filter(COMPLAINT)).select_from(Ticket)
        .join(Customer, Ticket.customer_id == Customer.id))
        .where(Ticket.created_at >= rng.start, Ticket.created_at < rng.end, branches.within(seen, Ticket.branch_id))
        .group_by(group))}


def _changes(rng: DateRange, seen: set[int] | None, field: str, key: str) -> Table:
    """How often a customer field of the reader's customers went from one value to another in the range
    (None: no card)."""
    rows = db.session.execute(
        select(CustomerChange.old, CustomerChange.new, func.count())
        .where(CustomerChange.field == field, CustomerChange.at >= rng.start, CustomerChange.at < rng.end,
               _owned(seen, CustomerChange.customer_id, Customer))
        .group_by(CustomerChange.old, CustomerChange.new)).all()
    ordered = sorted(rows, key=lambda r: (r[0] or "", r[1] or ""))
    return Table(key, ("from", "to", "changes"), [tuple(r) for r in ordered])


def now_range(tz, weeks: int) -> DateRange:
    """The dashboard's range: the last ``weeks`` local weeks, Monday first, up to today."""
    today = clock.now().astimezone(tz).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    return DateRange(monday, today, tz)
