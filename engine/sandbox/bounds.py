"""Bounds on the values that shape a workflow: multi-instance counts, timer cycles and durations.

Each value would otherwise make SpiffWorkflow itself do unbounded work: a cardinality of 10**6
creates a million tasks, a cycle `R/PT0S` fires for ever within one step, a duration `P99999999Y`
spends half an hour in SpiffWorkflow's month loop. Each check answers (English, Chinese) or None;
the deploy check applies them to values written in the diagram, `checked_value` to computed ones
when they are evaluated, before SpiffWorkflow uses them.
"""

from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.sandbox.rules import Problem, SandboxViolation

MAX_CARDINALITY = 1_000
MIN_CYCLE = timedelta(minutes=1)
MAX_DURATION = timedelta(days=3653)  # ten years
_APPROXIMATE_DAYS = {"years": 365.25, "months": 30.44, "weeks": 7, "days": 1, "hours": 1 / 24, "minutes": 1 / 1440,
                     "seconds": 1 / 86400}

Refusal = tuple[str, str] | None


def cardinality_problem(value) -> Refusal:
    if type(value) is not int or not 0 <= value <= MAX_CARDINALITY:
        return (f"a multi-instance count must be a whole number from 0 to {MAX_CARDINALITY:,}, not {value!r:.40}",
                f"多实例数量必须是 0 到 {MAX_CARDINALITY:,} 之间的整数，而不是 {value!r:.40}")
    return None


def duration_problem(iso: str) -> Refusal:
    """A duration over ten years, measured without SpiffWorkflow's month loop."""
    try:
        parsed = TimerEventDefinition.parse_iso_duration(iso)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises a bare Exception; it reports its own wording later
        return None
    if sum(_APPROXIMATE_DAYS[unit] * amount for unit, amount in parsed.items()) > MAX_DURATION.days:
        return (f"the duration {iso[:40]} is longer than {MAX_DURATION.days // 365} years",
                f"时长 {iso[:40]} 超过 {MAX_DURATION.days // 365} 年")
    return None


def timer_problem(value) -> Refusal:
    """A timer value (date, duration or cycle) that is out of bounds."""
    if not isinstance(value, str):
        return None  # SpiffWorkflow refuses it with its own message
    text = value.strip().upper()
    if text.startswith("P"):
        return duration_problem(text)
    if not text.startswith("R"):
        return None
    durations = [part for part in text.replace("--", "/").split("/")[1:] if part.startswith("P")]
    for duration in durations:
        if problem := duration_problem(duration):
            return problem
        try:
            interval = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(duration))
        except Exception:  # noqa: BLE001 - as above
            return None
        if interval < MIN_CYCLE:
            return (f"a timer cycle repeats at most once a minute; {value[:40]} repeats every "
                    f"{interval.total_seconds():g} s",
                    f"定时器周期最多每分钟重复一次；{value[:40]} 每 {interval.total_seconds():g} 秒重复一次")
    return None


def checked_value(task, expression, value):
    """`value`, which `expression` gave for `task`, if it is within bounds where it shapes the workflow."""
    spec = task.task_spec
    if expression == getattr(spec, "cardinality", None):
        refusal = cardinality_problem(value)
    elif isinstance(getattr(spec, "event_definition", None), TimerEventDefinition) and (
            expression == spec.event_definition.expression):
        refusal = timer_problem(value)
    else:
        return value
    if refusal:
        raise SandboxViolation(Problem(None, *refusal))
    return value
