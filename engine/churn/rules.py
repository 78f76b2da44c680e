"""The deployed ``churn_watch`` version is the rule book: its decision table weighs a signal, its properties say
the threshold and how many days a signal counts. Supervisors change them by deploying a new version."""

from types import SimpleNamespace

from engine import deployments, runtime
from engine.errors import InvalidInput

PROCESS = "churn_watch"
WEIGH_TASK = "weigh_signals"  # the business rule task that calls churn_signal_weight
DEFAULTS = {"churn.threshold": 100, "churn.window_days": 90}


def setting(name: str) -> int:
    """A whole-number property of the newest churn_watch version (the shipped value when it is absent)."""
    raw = deployments.latest_version(PROCESS).properties.get(name, DEFAULTS[name])
    try:
        return int(raw)
    except (TypeError, ValueError) as err:
        raise InvalidInput(f"the property {name} of {PROCESS} is not a whole number: {raw!r} "
                           f"({PROCESS} 的属性 {name} 不是整数：{raw!r})") from err


def weigh(items: list[dict]) -> list[int]:
    """The points the decision table gives each signal ({kind, tier, count}), as the nightly pass's business rule
    task would: the same parsed table, run by the same sandboxed script engine. No matching rule: 0 points."""
    task_spec = _rule_task()
    workflow = SimpleNamespace(script_engine=runtime.script_engine)
    return [int(task_spec.dmnEngine.result(SimpleNamespace(data={"signal": item}, task_spec=task_spec,
                                                           workflow=workflow)).get("weighed", {}).get("points") or 0)
            for item in items]


def _rule_task():
    """The business rule task ``weigh_signals`` of the newest version (a multi-instance task's inner one)."""
    spec, _ = deployments.specs.get(deployments.latest_version(PROCESS))
    found = [t for t in spec.task_specs.values()
             if getattr(t, "bpmn_id", None) == WEIGH_TASK and hasattr(t, "dmnEngine")]
    if not found:
        raise InvalidInput(f"{PROCESS} has no business rule task {WEIGH_TASK} to weigh signals with "
                           f"({PROCESS} 缺少用于评分的业务规则任务 {WEIGH_TASK})")
    return found[0]
