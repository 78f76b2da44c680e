"""SLA clocks: targets from the diagram and the admin's policies, warnings, breaches and the escalation ladder.

A clock counts business time on its calendar. Its next point (warning, breach, next rung) is a timer
row, so the same sweep that fires BPMN timers drives the ladder, exactly once. Every step of the
ladder writes history and queues its messages in the same transaction.
"""

from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from sqlalchemy import select

from engine import (
    account_managers,
    audit,
    clock,
    config_cache,
    customers,
    report_facts,
    sla_config,
    step_rows,
    timers,
)
from engine.db import db
from engine.errors import ProcessError
from engine.live import events as live
from engine.models import (
    ACTIVE_TASK_STATES,
    PRIORITIES,
    HumanTask,
    SlaClock,
    SlaPolicy,
    Ticket,
    Timer,
    User,
)
from engine.sandbox import bounds
from notifications import notify, rota

KINDS = ("response", "resolution")
ACTIVE = ("pending", "warned", "breached")  # with no met_at: a breached clock that was then met has stopped
MATCH_FIELDS = ("process_key", "element_id", "channel", "priority", "fault_level", "customer_tier")


def duration(iso: str | timedelta, start) -> timedelta:
    """The length of an SLA target from `start`; one over ten years fails the step (before any month loop). A
    timedelta is a length worked out already (a promise up to a date: engine.promises)."""
    if isinstance(iso, timedelta):
        return iso
    if refusal := bounds.duration_problem(iso):
        raise ProcessError(f"SLA target: {refusal[0]}", {"element_id": None, "message": refusal[0],
                                                          "message_zh": refusal[1]})
    return TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(iso), start)


def targets(ticket: Ticket, element_id: str, props: dict[str, str]) -> dict[str, str]:
    """The diagram's sla.* properties, overridden by the most specific active policy that matches."""
    found = {key.removeprefix("sla."): value for key, value in props.items() if key.startswith("sla.")}
    policy = matching_policy(ticket, element_id)
    if policy is not None:
        overrides = {"response": policy["response"], "resolution": policy["resolution"],
                     "calendar": policy["calendar"],
                     "warn": str(policy["warn_percent"]) if policy["warn_percent"] else None,
                     "escalate_to": policy["escalate_to"]}
        found.update({key: value for key, value in overrides.items() if value})
    return found


def matching_policy(ticket: Ticket, element_id: str) -> dict | None:
    """The most specific active policy whose match fields all fit the ticket's task (empty fields fit anything)."""
    facts = {"process_key": ticket.process_version.model.key, "element_id": element_id,
             "channel": ticket.channel, "priority": ticket.priority,
             "fault_level": ticket.data.get("fault_level"),
             "customer_tier": _tier(ticket)}
    candidates = [p for p in _active_policies() if all(p[f] in (None, facts[f]) for f in MATCH_FIELDS)]
    return max(candidates, key=lambda p: (sum(p[f] is not None for f in MATCH_FIELDS), p["id"]), default=None)


def _active_policies() -> tuple[dict, ...]:
    """The active policies as plain values, kept per process (engine.config_cache): every new task asks."""
    def read():
        columns = SlaPolicy.__table__.columns
        return tuple(dict(row) for row in db.session.execute(select(columns).where(SlaPolicy.active.is_(True)))
                     .mappings())
    return config_cache.cached(("sla_policies",), frozenset({"sla_policies"}), read)


def _tier(ticket: Ticket) -> str | None:
    customer = customers.of_ticket(ticket)
    return customer.tier if customer else None


def start_clocks(ticket: Ticket, task: HumanTask | None, element_id: str, props: dict[str, str],
                 kinds: tuple[str, ...] = KINDS) -> list[SlaClock]:
    """Start the clocks of ``kinds`` the targets ask for, each with its first timer."""
    found = targets(ticket, element_id, props)
    return [new_clock(ticket, task, kind, found[kind], found) for kind in kinds if kind in found]


def new_clock(ticket: Ticket, task: HumanTask | None, kind: str, target_iso: str | timedelta, options: dict[str, str],
              since=None, until: str | None = None) -> SlaClock:
    """One clock of ``target_iso`` business time counted from ``since`` (default now), with its first timer.
    ``options``: calendar, warn (percent), escalate_to (the ladder), reassign. ``until``: the element whose
    completion keeps a ticket's promise (engine.promises)."""
    start = since or clock.now()
    calendar = sla_config.calendar_named(options.get("calendar", "24x7"))
    target = duration(target_iso, start)
    warn = int(options.get("warn", 80))
    sla_clock = SlaClock(ticket=ticket, task=task, kind=kind, target_seconds=int(target.total_seconds()),
                         calendar=calendar.name, warn_percent=warn, until=until,
                         ladder=[r.strip() for r in options.get("escalate_to", "").split(",") if r.strip()],
                         reassign=options.get("reassign", "false").lower() == "true",
                         state="pending", rung=0, paused_seconds=0, started_at=start,
                         due_at=calendar.add(start, target),
                         warn_at=calendar.add(start, target * warn / 100) if 0 < warn < 100 else None)
    step_rows.add_object(sla_clock)
    _arm_next(sla_clock)
    return sla_clock


def clocks_of(task: HumanTask) -> list[SlaClock]:
    """The task's stored clocks (a step reads them with its task); none for a task of this step."""
    return list(task.sla_clocks) if task.id else []


def meet(task: HumanTask, kinds: tuple[str, ...]) -> None:
    """The task was claimed (response) or completed (both): its clocks stop, on time or late."""
    clocks = clocks_of(task)
    stop([c for c in clocks if c.kind in kinds and running(c)])
    if task.state in ACTIVE_TASK_STATES:  # a finished task keeps the due time and state it ended with
        follow_running(task, clocks)


def follow_running(task: HumanTask, clocks: list[SlaClock] | None = None) -> None:
    """The task shows the clocks that still run: the soonest due time (the inbox sorts by it) and the worst
    state. A response met at claim no longer turns the badge red while the resolution clock runs.
    ``clocks``: the task's clocks when the caller has just read them."""
    live = [c for c in (clocks_of(task) if clocks is None else clocks) if running(c)]
    task.due_at = min((c.due_at for c in live), default=None)
    states = {c.state for c in live}
    task.sla_state = "breached" if "breached" in states else "warned" if "warned" in states else None


def meet_ticket(ticket: Ticket) -> None:
    """The ticket closed: its own clocks (those of no task) stop."""
    stop([c for c in _active(ticket) if c.task_id is None])


def stop(clocks: list[SlaClock]) -> None:
    """The promise was kept or came late: a breach stays on record, the rest are met."""
    for sla_clock in clocks:
        kept = sla_clock.state != "breached"
        step_rows.change(sla_clock, met_at=clock.now(), state="met" if kept else "breached")
        if kept:
            report_facts.record_clock(sla_clock, breached=False)
    _disarm(clocks)


def cancel(clocks: list[SlaClock]) -> None:
    stopped = [c for c in clocks if running(c)]
    for sla_clock in stopped:
        step_rows.change(sla_clock, state="cancelled", cancelled_at=clock.now())
    _disarm(stopped)


def fire(row: Timer) -> None:
    """The clock's next point is due: warn, breach, or climb one rung."""
    sla_clock = row.sla_clock
    row.state, row.fired_at = "fired", clock.now()
    if not running(sla_clock):
        return
    if sla_clock.state == "pending" and sla_clock.warn_at and sla_clock.due_at > clock.now():
        _warn(sla_clock)
    elif sla_clock.state in ("pending", "warned"):
        _breach(sla_clock)
    elif sla_clock.state == "breached":
        _climb(sla_clock)
    _arm_next(sla_clock)


def pause(ticket: Ticket) -> None:
    """The ticket waits on the customer: active clocks stop counting."""
    now = clock.now()
    active = _active(ticket)
    for sla_clock in active:
        sla_clock.paused_at = now
    _disarm(active)


def resume(ticket: Ticket) -> int:
    """Clocks count again; their due times move by the paused business time. Returns the paused seconds."""
    now, longest = clock.now(), 0
    for sla_clock in _active(ticket):
        if sla_clock.paused_at is None:
            continue
        calendar = sla_config.calendar_named(sla_clock.calendar)
        paused = calendar.between(sla_clock.paused_at, now)
        sla_clock.paused_seconds += int(paused.total_seconds())
        sla_clock.due_at = calendar.add(sla_clock.due_at, paused) if paused else sla_clock.due_at
        if sla_clock.warn_at and sla_clock.state == "pending":
            sla_clock.warn_at = calendar.add(sla_clock.warn_at, paused) if paused else sla_clock.warn_at
        sla_clock.paused_at = None
        longest = max(longest, int(paused.total_seconds()))
        _arm_next(sla_clock)
        if sla_clock.task is not None:
            follow_running(sla_clock.task)
    return longest


def retarget(sla_clock: SlaClock, target: timedelta) -> None:
    """The clock's target changed (a promise's date moved): its due time and warning move with it, counted from its
    start on its calendar with the time it was paused, and the escalation rungs follow the new due time. A warning
    whose new point is still ahead comes again then; a breach already recorded stays (the first date was missed)."""
    calendar = sla_config.calendar_named(sla_clock.calendar)
    paused = timedelta(seconds=sla_clock.paused_seconds)
    before = sla_clock.due_at
    _disarm([sla_clock])
    sla_clock.target_seconds = int(target.total_seconds())
    sla_clock.due_at = calendar.add(sla_clock.started_at, target + paused)
    warn = sla_clock.warn_percent
    sla_clock.warn_at = calendar.add(sla_clock.started_at, target * warn / 100 + paused) if 0 < warn < 100 else None
    if sla_clock.state == "warned" and sla_clock.warn_at and sla_clock.warn_at > clock.now():
        sla_clock.state, sla_clock.warned_at = "pending", None
    audit.record(sla_clock.ticket, None, "sla_moved", sla_clock.task, clock=sla_clock.kind,
                 due_at=sla_clock.due_at.isoformat(), was_due_at=before.isoformat())
    _arm_next(sla_clock)
    if sla_clock.task is not None:
        follow_running(sla_clock.task)


def running(sla_clock: SlaClock) -> bool:
    """Still counting: not cancelled, and not met (a breach keeps its state once the task is taken or done)."""
    return sla_clock.state in ACTIVE and sla_clock.met_at is None


def _active(ticket: Ticket) -> list[SlaClock]:
    """The ticket's running clocks: those that pause, resume and stop (met and cancelled ones stay as they are)."""
    return list(db.session.scalars(select(SlaClock).where(SlaClock.ticket_id == ticket.id,
                                                          SlaClock.state.in_(ACTIVE), SlaClock.met_at.is_(None))))


def _next_point(sla_clock: SlaClock):
    """When the clock must next be looked at, or None when nothing more can happen."""
    if sla_clock.paused_at is not None or not running(sla_clock):
        return None
    if sla_clock.state == "pending" and sla_clock.warn_at and sla_clock.warn_at < sla_clock.due_at:
        return sla_clock.warn_at
    if sla_clock.state in ("pending", "warned"):
        return sla_clock.due_at
    if sla_clock.state == "breached" and sla_clock.rung < len(sla_clock.ladder):
        return sla_clock.due_at + timedelta(seconds=sla_clock.target_seconds) * sla_clock.rung
    return None


def _arm_next(sla_clock: SlaClock) -> None:
    due = _next_point(sla_clock)
    if due is not None:
        timers.arm(sla_clock.ticket, "sla", due, sla_clock=sla_clock)


def _disarm(clocks: list[SlaClock]) -> None:
    """Cancel the armed timers of these clocks (found among their tickets' armed timers, read once per step)."""
    stored = [c for c in clocks if c.id is not None]
    ids = {c.id for c in stored}
    for ticket_id in {c.ticket_id for c in stored}:
        for row in timers.armed_rows(ticket_id):
            if row.sla_clock_id in ids:
                step_rows.change(row, state="cancelled")


def _warn(sla_clock: SlaClock) -> None:
    sla_clock.state, sla_clock.warned_at = "warned", clock.now()
    task = sla_clock.task
    if task is not None:
        follow_running(task)
        live.emit("warning", task)
    audit.record(sla_clock.ticket, None, "sla_warned", task, clock=sla_clock.kind, due_at=sla_clock.due_at.isoformat())
    _notify(sla_clock, "sla_warning", _owners(task, sla_clock.ticket))


def _breach(sla_clock: SlaClock) -> None:
    sla_clock.state, sla_clock.breached_at = "breached", clock.now()
    report_facts.record_clock(sla_clock, breached=True)
    task = sla_clock.task
    if task is not None:
        task.priority = _raised(task.priority)
        follow_running(task)
        live.emit("breach", task)  # to whoever holds it now, before a ladder that reassigns moves it
    audit.record(sla_clock.ticket, None, "sla_breached", task, clock=sla_clock.kind,
                 due_at=sla_clock.due_at.isoformat())
    _climb(sla_clock, breach=True)


def _climb(sla_clock: SlaClock, breach: bool = False) -> None:
    """Notify the next rung of the ladder (at a breach, the first), moving the task there if asked to."""
    task = sla_clock.task
    if sla_clock.rung >= len(sla_clock.ladder):
        _notify(sla_clock, "sla_breached", _owners(task, sla_clock.ticket))
        return
    role = sla_clock.ladder[sla_clock.rung]
    sla_clock.rung += 1
    if not breach:
        audit.record(sla_clock.ticket, None, "sla_escalated", task, clock=sla_clock.kind, rung=sla_clock.rung,
                     role=role)
    people = _rung_people(role, sla_clock.ticket)
    if sla_clock.reassign and task is not None and task.state in ("open", "claimed"):
        _reassign(task, role)
    _notify(sla_clock, "sla_breached", people, role=role)


def _rung_people(role: str, ticket: Ticket) -> list[User]:
    """Who a rung reaches: ``account_manager`` is the customer's own manager alone; any other rung, its role."""
    if role == account_managers.KEYWORD:
        return account_managers.or_fallback(ticket)
    return _on_duty(role, ticket)


def _reassign(task: HumanTask, role: str) -> None:
    """The task moves to the rung: into the role's queue, or straight to the customer's account manager."""
    previous = task.role
    if role == account_managers.KEYWORD:
        manager = account_managers.of_ticket(task.ticket)
        task.role = account_managers.FALLBACK_ROLE
        task.assignee, task.state, task.claimed_at = (manager, "claimed", clock.now()) if manager else (None, "open",
                                                                                                       None)
    else:
        task.role, task.assignee, task.state, task.claimed_at = role, None, "open", None
    audit.record(task.ticket, None, "reassigned", task, role=role, previous=previous)
    live.task_arrived(task, None)


def _notify(sla_clock: SlaClock, event: str, people: list[User], role: str | None = None) -> None:
    """Queue the event's message to each person once for this point of the clock (the rung is in the key)."""
    task = sla_clock.task
    notify.people(event, people, dedupe=f"sla:{sla_clock.id}:{event}:{sla_clock.rung}", ticket=sla_clock.ticket,
                  sla={"kind": sla_clock.kind, "step": task.name if task else sla_clock.ticket.title,
                       "due_at": notify.local_time(sla_clock.due_at), "rung": sla_clock.rung if role else 0,
                       "role": role},
                  task={"name": task.name, "role": task.role, "due_at": notify.local_time(task.due_at)} if task else {})


def _owners(task: HumanTask | None, ticket: Ticket) -> list[User]:
    """Who answers for a task: its assignee, else its role (on duty); for the ticket's own clock, the supervisors."""
    if task is not None and task.assignee is not None:
        return [task.assignee]
    return _on_duty(task.role if task is not None else "supervisor", ticket)


def _on_duty(role: str, ticket: Ticket) -> list[User]:
    """Who answers for the role now among those who may see the ticket: no alert outside one's branches."""
    return rota.on_duty(role, branch_id=ticket.branch_id)


def _raised(priority: str) -> str:
    return PRIORITIES[min(PRIORITIES.index(priority) + 1, len(PRIORITIES) - 1)]
