"""SpiffWorkflow instances in and out of a ticket's row.

Only the instance's state is serialized; the specs come from the deployed version through the spec
cache, so a row stays small and loading it does not re-parse the diagram.
"""

import inspect
import json
import sys
from datetime import UTC, datetime, timedelta
from uuid import UUID

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timers
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine import clock, services
from engine.deployments import specs
from engine.errors import ProcessError
from engine.models import ProcessVersion, Ticket, User
from engine.sandbox import limits
from engine.sandbox.rules import SandboxViolation
from engine.sandbox.script_engine import make_script_engine

_PRUNED = "pruned_elements"  # the elements of the finished tasks that _prune dropped, for the ticket's progress


class _StateConverter(BpmnWorkflowConverter):
    """Converts a workflow without its specs; ``load`` hands the cached spec objects back in."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        dct[_PRUNED] = sorted(getattr(workflow, _PRUNED, ()))
        return dct


class _ClockDatetime(datetime):
    """SpiffWorkflow's timers read ``datetime.now`` directly; this makes them read KeyDesk's clock."""

    @classmethod
    def now(cls, tz=None):
        return clock.now() if tz is None else clock.now().astimezone(tz)


spiff_timers.datetime = _ClockDatetime


def _desk_datetime(expression: str) -> datetime:
    """A timer's date-time; one without an offset is the desk's time (KEYDESK_TIMEZONE), as for schedules, so a
    diagram says "09:00 on the promised date" without naming a zone (SpiffWorkflow would take the server's)."""
    moment = _ClockDatetime.fromisoformat(expression)  # SpiffWorkflow tells dates from durations by this class
    return (moment if moment.tzinfo else moment.replace(tzinfo=clock.zone())).astimezone(UTC)


spiff_timers.TimerEventDefinition.get_datetime = staticmethod(_desk_datetime)


def _walk_whole_trees() -> None:
    """SpiffWorkflow's task iterators stop 1,000 levels down the task tree by default, and each pass through a
    loop adds levels: after a few hundred rounds the engine lost sight of the waiting task and took the workflow
    for completed. KeyDesk's workflows are walked to the bottom (the walk is a loop, so depth costs no stack)."""
    for iterator in (TaskIterator, BpmnTaskIterator):
        parameters = inspect.signature(iterator.__init__).parameters.values()
        iterator.__init__.__defaults__ = tuple(sys.maxsize if p.name == "max_depth" else p.default
                                               for p in parameters if p.default is not p.empty)


_walk_whole_trees()

_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _StateConverter}))


def _dispatch(task, **call):
    """Service tasks go to engine.services, looked up when one runs: engine.services imports this module, so it may
    be half loaded when this one is."""
    return services.dispatch(task, **call)


script_engine = make_script_engine(services=_dispatch)


def registry():
    """The serializer's converters, which SpiffWorkflow's spec diff compares specs with."""
    return _serializer.registry


def new_workflow(version: ProcessVersion, ticket: Ticket | None = None, actor: User | None = None) -> BpmnWorkflow:
    spec, subprocess_specs = specs.get(version)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.ticket, workflow.actor = ticket, actor  # for service-task handlers (engine.services)
    return workflow


def load(ticket: Ticket, actor: User | None = None) -> BpmnWorkflow:
    """The ticket's workflow, as run by ``actor`` (None: a timer of the process)."""
    spec, subprocess_specs = specs.get(ticket.process_version)
    dct = json.loads(ticket.workflow_state)
    _serializer.migrate(dct)
    pruned = set(dct.pop(_PRUNED, ()))
    dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
    workflow = _serializer.from_dict(dct)
    setattr(workflow, _PRUNED, pruned)
    workflow.script_engine = script_engine
    workflow.ticket, workflow.actor = ticket, actor
    return workflow


def save(ticket: Ticket, workflow: BpmnWorkflow) -> None:
    """Keep the workflow's state on the ticket; a state over the limit fails the step instead."""
    _prune(workflow)
    state = _serializer.serialize_json(workflow)
    if len(state) > limits.max_state_bytes():
        raise ProcessError(
            f"the workflow state would be {len(state):,} bytes, over the limit of {limits.max_state_bytes():,}: "
            "the diagram keeps too much task data",
            {"element_id": None, "limit": "state_bytes",
             "message": f"workflow state of {len(state):,} bytes is over the limit of {limits.max_state_bytes():,}",
             "message_zh": f"工作流状态将达 {len(state):,} 字节，超过上限 {limits.max_state_bytes():,} 字节："
                           "流程图保存的任务数据过多"})
    ticket.workflow_state = state


def _prune(workflow: BpmnWorkflow) -> None:
    """Forget the finished past of each task tree: every pass through a loop adds tasks, so a ticket looping for
    months would grow a state (and a step time) without end. The history lives in the ticket's own tables."""
    dropped = []
    for each in (workflow, *workflow.subprocesses.values()):
        dropped += _drop_finished_head(each)
    while gone := workflow.subprocesses.keys() - {task.id for task in _every_task(workflow)}:
        for key in gone:  # a subprocess whose calling task went; the next pass, the subprocesses it called
            dropped += workflow.subprocesses.pop(key).tasks.values()
    pruned = getattr(workflow, _PRUNED, set())
    pruned.update(task.task_spec.bpmn_id for task in dropped
                  if task.task_spec.bpmn_id and task.state == TaskState.COMPLETED)
    setattr(workflow, _PRUNED, pruned)


def pruned_elements(workflow: BpmnWorkflow) -> set[str]:
    """The BPMN elements of finished tasks that _prune dropped (of the workflow and its subprocesses alike)."""
    return getattr(workflow, _PRUNED, set())


def finished_elements(workflow: BpmnWorkflow) -> set[str]:
    """The BPMN elements the workflow has passed through, also those whose tasks _prune dropped."""
    return pruned_elements(workflow) | {task.task_spec.bpmn_id for task in _every_task(workflow)
                                                 if task.state == TaskState.COMPLETED and task.task_spec.bpmn_id}


def _drop_finished_head(workflow) -> list[SpiffTask]:
    """Cut the chain of finished tasks that leads from the root to the first task that is unfinished or branches,
    keeping that task's parent: a new task copies its parent's data, and a join looks for its inputs below it."""
    root, chain = workflow.task_tree, []
    node = root.children[0] if len(root.children) == 1 else None
    while node is not None and node.has_state(TaskState.FINISHED_MASK) and len(node.children) == 1:
        chain.append(node)
        node = node.children[0]
    if len(chain) < 2:
        return []
    kept = chain[-1]
    for task in chain[:-1]:
        del workflow.tasks[task.id]
    root._children, kept._parent = [kept.id], root.id
    return chain[:-1]


def advance(workflow: BpmnWorkflow) -> None:
    """Run everything the engine can run without a person; a diagram error becomes a ProcessError."""
    try:
        with limits.engine_step():
            workflow.do_engine_steps()
    except SpiffWorkflowException as err:
        raise process_error(err) from err


def run_task(workflow: BpmnWorkflow, task: SpiffTask, data: dict) -> None:
    """Complete a human task with its form data, then advance."""
    task.data.update(data)
    with limits.engine_step():
        try:
            task.run()
        except SpiffWorkflowException as err:
            raise process_error(err) from err
        advance(workflow)


def process_error(err: SpiffWorkflowException) -> ProcessError:
    """The error located at its element; a sandbox limit says which, in Chinese too."""
    task = getattr(err, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    cause = _sandbox_cause(err)
    zh = cause.problem.message_zh if cause is not None and cause.problem.message_zh else str(err)
    return ProcessError(f"the process stopped at {element or 'an element'}: {err}",
                        {"element_id": element, "message": str(err),
                         "message_zh": f"流程在 {element or '某个元素'} 处停止：{zh}"})


def _sandbox_cause(err: BaseException) -> SandboxViolation | None:
    """The sandbox violation behind an error, through SpiffWorkflow's wrapping."""
    seen = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, SandboxViolation):
            return err
        seen.add(id(err))
        err = getattr(err, "exception", None) or err.__cause__ or err.__context__
    return None


def ready_human_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def _every_task(workflow: BpmnWorkflow):
    """Each task of the workflow and of its subprocesses, read from their task tables instead of walking the tree."""
    for each in (workflow, *workflow.subprocesses.values()):
        yield from each.tasks.values()


def finished(workflow: BpmnWorkflow) -> bool:
    """The workflow really completed: no task of it or of its subprocesses is left unfinished."""
    return all(task.has_state(TaskState.FINISHED_MASK) for task in _every_task(workflow))


def stuck(workflow: BpmnWorkflow) -> bool:
    """Unfinished, yet nothing can move it on: no task waits for a person and no event (timer, message) is awaited."""
    if finished(workflow):
        return False
    return not any((task.state == TaskState.READY and task.task_spec.manual)
                   or (task.state == TaskState.WAITING and hasattr(task.task_spec, "event_definition"))
                   for task in _every_task(workflow))


def waiting_timers(workflow: BpmnWorkflow) -> dict[str, tuple[SpiffTask, datetime]]:
    """Each timer the workflow waits on, by task id, with its next due time."""
    found = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, spiff_timers.TimerEventDefinition):
            value = definition.details(task).value
            if isinstance(value, str):
                found[str(task.id)] = (task, spiff_timers.TimerEventDefinition.parse_time_or_duration(value))
    return found


def timer_duration(task: SpiffTask) -> timedelta | None:
    """A duration timer's length as the diagram gives it, or None for date and cycle timers."""
    definition = task.task_spec.event_definition
    if not isinstance(definition, spiff_timers.DurationTimerEventDefinition):
        return None
    value = task.workflow.script_engine.evaluate(task, definition.expression)
    parsed = spiff_timers.TimerEventDefinition.parse_iso_duration(value)
    return spiff_timers.TimerEventDefinition.get_timedelta_from_start(parsed, clock.now())


def set_timer_due(task: SpiffTask, due: datetime) -> None:
    """Move a waiting duration timer's due time (for business time); SpiffWorkflow fires it then."""
    task._set_internal_data(event_value=due.isoformat())


def fire_timers(workflow: BpmnWorkflow) -> None:
    """Let every timer that is due fire, then run what follows."""
    with limits.engine_step():
        try:
            workflow.refresh_timers()
        except SpiffWorkflowException as err:
            raise process_error(err) from err
        advance(workflow)


def start_at(workflow: BpmnWorkflow, element_id: str) -> None:
    """Start a new workflow at one of its timer start events, as if its timer had just fired (a schedule fires
    it), and run it as far as it goes."""
    _fire_start_event(workflow, element_id)
    with limits.engine_step():
        advance(workflow)
        fire_timers(workflow)  # a cycle's start event completes on the look after its last cycle


def _fire_start_event(workflow: BpmnWorkflow, element_id: str) -> None:
    """Mark the start event as fired; the process's other timer start events (whose own timers SpiffWorkflow would
    evaluate, and fire when their first date has passed) stand down."""
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        definition = getattr(task.task_spec, "event_definition", None)
        if (isinstance(definition, spiff_timers.TimerEventDefinition) and task.task_spec.bpmn_id != element_id
                and type(task.task_spec).__name__ == "StartEvent"):
            task.cancel()
    started = workflow.get_tasks(spec_name=element_id)
    if not started:
        raise ProcessError(f"the process has no start event {element_id!r}", {"element_id": element_id})
    for task in started:
        if isinstance(task.task_spec.event_definition, spiff_timers.CycleTimerEventDefinition):
            # a cycle lets its flow run once per due cycle: exactly one, due now, and it is done
            due = (clock.now() - timedelta(seconds=1)).isoformat()
            task._set_internal_data(event_value={"cycles": 1, "next": due, "duration": 1})
        else:
            task._set_internal_data(event_fired=True)


def find_task(workflow: BpmnWorkflow, spiff_task_id: str) -> SpiffTask | None:
    return workflow.get_task_from_id(UUID(spiff_task_id))


def properties(task: SpiffTask) -> dict[str, str]:
    """The spiffworkflow:properties on a task's element (form, sla.*)."""
    return getattr(task.task_spec, "extensions", {}).get("properties", {})


def title_of(task: SpiffTask, chinese: bool = False) -> str | None:
    """The element's name (``chinese``: its name_zh property, None when it has none); for one instance of a
    multi-instance task whose item carries a ``label``, with that label (the reviewer of many proposals sees in the
    inbox which one each task is)."""
    name = properties(task).get("name_zh") if chinese else task.task_spec.bpmn_name or task.task_spec.bpmn_id
    if not name:
        return None
    item_ref = getattr(task.parent.task_spec, "input_item", None) if task.parent else None
    item = task.data.get(item_ref.bpmn_id) if item_ref is not None else None
    label = item.get("label") if isinstance(item, dict) else None
    return (f"{name}: {label}" if label else name)[:256]


def role_of(task: SpiffTask) -> str | None:
    """The lane of the task, or of the subprocess it runs in (lanes hold only top-level elements)."""
    while task is not None:
        if task.task_spec.lane:
            return task.task_spec.lane
        parent_id = task.workflow.parent_task_id
        task = task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None
