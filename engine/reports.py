"""The desk's figures: dashboard, SLA compliance, volumes and flow, account managers, customers.

Each figure is one SQL aggregation over the report facts (engine/report_facts.py: narrow tables the
engine step writes as things happen), grouped in the database over an indexed range column, with no
ticket loaded into Python and no join with the wide ticket, task and clock rows; bench/reports.py times
them over a year of a busy desk. Python only adds up the few aggregated rows, fills empty days and ranks.
Every function checks that the reader may see reports, and counts only the tickets of the reader's
branches (headquarters: all) with what hangs off them: tasks, clocks, and the changes of their customers.
The "now" figures of the dashboard (open tickets, tasks due) read the live tickets and tasks.

An SLA clock counts where its outcome became known: a breach on the day it breached (also when the
ticket was later finished or cancelled), a kept promise on the day it was met. Clocks still running
or cancelled before their due time are not counted.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement, Select

from engine import clock
from engine.db import db
from engine.directory import branches, permissions
from engine.errors import InvalidInput
from engine.models import (
    ACTIVE_TASK_STATES,
    TIERS,
    Customer,
    CustomerChange,
    HumanTask,
    SlaFact,
    TaskFact,
    Ticket,
    TicketFact,
    User,
    UserRole,
)
from engine.report_range import DateRange
from engine.report_sql import day_of, local_day, local_week, percentile

Assignee = aliased(User)
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


# -- the SLA figures: the clocks decided in the range, by dimension ---------------------------------------

DIMENSIONS: dict[str, ColumnElement] = {  # in the order of their index
    "channel": SlaFact.channel,
    "process": SlaFact.process_key,
    "step": SlaFact.step,  # a ticket's own clock has step 'ticket'
    "role": SlaFact.role,
    "member": SlaFact.member_id,  # shown by username
    "tier": SlaFact.tier,
}


def _seen(actor: User) -> set[int] | None:
    """The branches whose tickets the reader's figures count (None: headquarters, every ticket), once
    the reader is known to see reports."""
    permissions.require(actor, "reports")
    return branches.visible_ids(actor)


def _decided(rng: DateRange, kind: str | None, seen: set[int] | None, *columns) -> Select:
    """A select over the SLA outcomes decided in the range on the tickets the reader sees."""
    query = select(*columns).select_from(SlaFact).where(
        SlaFact.decided_at >= rng.start, SlaFact.decided_at < rng.end, branches.within(seen, SlaFact.branch_id))
    return query.where(SlaFact.kind == kind) if kind else query


def _usernames(ids) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(db.session.execute(select(User.id, User.username).where(User.id.in_(wanted))).all())


def _member_value(username: str | None) -> int | None:
    """The id a drill-down's username stands for (-1, which matches nobody, for an unknown name)."""
    if username is None:
        return None
    return db.session.scalar(select(User.id).where(User.username == username)) or -1


def _outcome_counts() -> tuple[ColumnElement, ColumnElement, ColumnElement]:
    return (func.count().filter(SlaFact.breached.is_(False)), func.count().filter(SlaFact.breached.is_(True)),
            func.coalesce(func.sum(SlaFact.paused_seconds), 0))


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
    breaches = db.session.execute(
        _decided(DateRange(today, today, rng.tz), None, seen, SlaFact.channel, func.count())
        .where(SlaFact.breached.is_(True)).group_by(SlaFact.channel).order_by(SlaFact.channel)).all()
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
    week = local_week(SlaFact.decided_at, rng.tz, rng.start, rng.end)
    met, breached, _ = _outcome_counts()
    found = {day_of(w): (m, b) for w, m, b in db.session.execute(
        _decided(rng, None, seen, week, met, breached).group_by(week))}
    mondays = sorted({(d - timedelta(days=d.weekday())).isoformat() for d in rng.days()})
    rows = [(w, *found.get(w, (0, 0))) for w in mondays]
    return Table("sla_trend", ("week", "met", "breached", "compliance_pct"),
                 [(w, m, b, _compliance(m, b)) for w, m, b in rows])


def sla(actor: User, rng: DateRange, by: str | None = None, kind: str | None = None) -> Report:
    """Met, breached and paused time of the SLA clocks decided in the range, per dimension (or one).

    One scan groups the outcomes by every dimension at once, in the order of their index; each
    dimension's table then adds up those few group rows, so six tables cost one pass, as one does.
    """
    seen = _seen(actor)
    _check_choice("by", by, DIMENSIONS)
    _check_choice("kind", kind, SLA_KINDS)
    groups = list(DIMENSIONS.values())
    cube = db.session.execute(_decided(rng, kind, seen, *groups, *_outcome_counts()).group_by(*groups)).all()
    names = _usernames(row[4] for row in cube)
    tables = []
    for i, name in enumerate(DIMENSIONS):
        if by not in (None, name):
            continue
        sums: dict = {}
        for row in cube:
            group = names[row[i]] if name == "member" and row[i] is not None else row[i]
            met, breached, paused = sums.get(group, (0, 0, 0))
            sums[group] = (met + row[-3], breached + row[-2], paused + int(row[-1]))
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
    group = DIMENSIONS[by]
    if by == "member":
        value = _member_value(value)
    columns = (Ticket.id, Ticket.number, Ticket.title, Ticket.channel, Ticket.status)
    query = _decided(rng, kind, seen, *columns, *_outcome_counts()).join(Ticket, SlaFact.ticket_id == Ticket.id) \
        .where(group == value if value is not None else group.is_(None))
    if outcome:
        query = query.where(SlaFact.breached.is_(outcome == "breached"))
    rows = db.session.execute(query.group_by(*columns).order_by(Ticket.id).limit(limit).offset(offset)).all()
    return Report("sla_tickets", rng, [Table(
        "sla_tickets", ("ticket_id", "ticket", "title", "channel", "status", "met", "breached", "paused_seconds"),
        [(*r[:7], int(r[7])) for r in rows])])


def _opened(rng: DateRange, seen: set[int] | None) -> ColumnElement:
    return and_(TicketFact.opened_at >= rng.start, TicketFact.opened_at < rng.end,
                branches.within(seen, TicketFact.branch_id))


def _closed(rng: DateRange, seen: set[int] | None) -> ColumnElement:
    """Tickets finished in the range (a cancelled ticket is not a closed one)."""
    return and_(TicketFact.status == "closed", TicketFact.closed_at >= rng.start, TicketFact.closed_at < rng.end,
                branches.within(seen, TicketFact.branch_id))


def volumes(actor: User, rng: DateRange) -> Report:
    """Tickets opened and closed per day and channel, time per step, complaint reopen rate, faults by level."""
    seen = _seen(actor)
    opened_in, closed_in = _opened(rng, seen), _closed(rng, seen)
    opened_days, opened_channels = _per_day_and_channel(TicketFact.opened_at, opened_in, rng)
    closed_days, closed_channels = _per_day_and_channel(TicketFact.closed_at, closed_in, rng)
    days = [d.isoformat() for d in rng.days()]
    return Report("volumes", rng, [
        Table("by_day", ("day", "opened", "closed"), [(d, opened_days[d], closed_days[d]) for d in days]),
        Table("by_channel", ("channel", "opened", "closed"),
              [(c, opened_channels[c], closed_channels[c]) for c in sorted(opened_channels | closed_channels)]),
        step_times(rng, seen),
        complaint_reopens(closed_in),
        Table("fault_levels", ("fault_level", "tickets"), db_rows(
            select(TicketFact.fault_level, func.count())
            .where(opened_in, TicketFact.fault_level.is_not(None))
            .group_by(TicketFact.fault_level).order_by(TicketFact.fault_level))),
    ])


def _per_day_and_channel(at: ColumnElement, where: ColumnElement, rng: DateRange) -> tuple[Counter, Counter]:
    """The tickets counted per local day and per channel, from one query grouped by both."""
    day = local_day(at, rng.tz, rng.start, rng.end)
    days, channels = Counter(), Counter()
    for d, channel, count in db.session.execute(select(day, TicketFact.channel, func.count()).where(where)
                                                .group_by(day, TicketFact.channel)):
        days[day_of(d)] += count
        channels[channel] += count
    return days, channels


def db_rows(query: Select) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(query)]


def step_times(rng: DateRange, seen: set[int] | None) -> Table:
    """Median and 90th percentile of the time from a task's creation to its completion, per step."""
    step = (TaskFact.process_key, TaskFact.step, TaskFact.name)
    done = [TaskFact.completed_at >= rng.start, TaskFact.completed_at < rng.end,
            branches.within(seen, TaskFact.branch_id)]
    groups = db.session.execute(select(*step, func.count()).where(*done).group_by(*step).order_by(*step)).all()
    rows = []
    for process, key, name, tasks in groups:
        in_step = [*done, TaskFact.process_key == process, TaskFact.step == key, TaskFact.name == name]
        median, p90 = (percentile(TaskFact.duration_seconds, in_step, tasks, f) for f in (0.5, 0.9))
        rows.append((process, key, name, tasks, round(median, 1), round(p90, 1)))
    return Table("step_times", ("process", "step", "name", "tasks", "median_seconds", "p90_seconds"), rows)


def complaint_reopens(closed_in: ColumnElement) -> Table:
    """Of the complaints closed in the range, how many were reopened (the form's ``reopened``)."""
    closed, again = db.session.execute(
        select(func.count(), func.count().filter(TicketFact.reopened.is_(True)))
        .where(TicketFact.complaint.is_(True), closed_in)).one()
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
    work = {r[0]: r[1:] for r in db.session.execute(
        select(TaskFact.completed_by_id, func.count(TaskFact.ticket_id.distinct()), func.count(),
               func.avg(TaskFact.response_seconds), func.avg(TaskFact.duration_seconds))
        .where(TaskFact.completed_at >= rng.start, TaskFact.completed_at < rng.end,
               branches.within(seen, TaskFact.branch_id))
        .group_by(TaskFact.completed_by_id))}
    results = {r[0]: r[1:] for r in db.session.execute(
        select(TicketFact.manager_id, func.count().filter(TicketFact.revisit_done.is_(True)),
               func.count(TicketFact.revisit_done), func.avg(TicketFact.satisfaction),
               func.count(TicketFact.satisfaction), func.count().filter(TicketFact.outcome == "retained"),
               func.count().filter(TicketFact.outcome == "lost"))
        .where(_closed(rng, seen), TicketFact.customer_id.is_not(None))
        .group_by(TicketFact.manager_id))}
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
    tiers = _per_customer(rng, seen, TicketFact.tier)
    tier_rows = [(t, *tiers.get(t, (0, 0))) for t in [*TIERS, *sorted(set(tiers) - set(TIERS), key=str)]]
    industries = _per_customer(rng, seen, TicketFact.industry)
    industry_rows = sorted(((i, *v) for i, v in industries.items()), key=lambda r: (r[0] is None, r[0] or ""))
    return Report("customers", rng, [
        Table("by_tier", ("tier", "tickets", "complaints"), tier_rows),
        Table("by_industry", ("industry", "tickets", "complaints"), industry_rows),
        _changes(rng, seen, "credit_level", "credit_changes"),
        _changes(rng, seen, "member_card", "member_changes"),
    ])


def _per_customer(rng: DateRange, seen: set[int] | None, group: ColumnElement) -> dict:
    """{group value: (tickets, complaints)} of the tickets of a customer opened in the range."""
    return {g: (t, c) for g, t, c in db.session.execute(
        select(group, func.count(), func.count().filter(TicketFact.complaint.is_(True)))
        .where(_opened(rng, seen), TicketFact.customer_id.is_not(None)).group_by(group))}


def _changes(rng: DateRange, seen: set[int] | None, field: str, key: str) -> Table:
    """How often a customer field of the reader's customers went from one value to another in the range
    (None: no card)."""
    mine = true() if seen is None else CustomerChange.customer_id.in_(
        select(Customer.id).where(branches.within(seen, Customer.branch_id)))
    rows = db.session.execute(
        select(CustomerChange.old, CustomerChange.new, func.count())
        .where(CustomerChange.field == field, CustomerChange.at >= rng.start, CustomerChange.at < rng.end, mine)
        .group_by(CustomerChange.old, CustomerChange.new)).all()
    ordered = sorted(rows, key=lambda r: (r[0] or "", r[1] or ""))
    return Table(key, ("from", "to", "changes"), [tuple(r) for r in ordered])


def now_range(tz, weeks: int) -> DateRange:
    """The dashboard's range: the last ``weeks`` local weeks, Monday first, up to today."""
    today = clock.now().astimezone(tz).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    return DateRange(monday, today, tz)
