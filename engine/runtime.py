"""SpiffWorkflow instances in and out of a ticket's row.

Only the instance's state is serialized; the specs come from the deployed version through the spec
cache, so a row stays small and loading it does not re-parse the diagram.
"""

import json
from datetime import datetime, timedelta
from uuid import UUID

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timers
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from engine import clock, services
from engine.deployments import specs
from engine.errors import ProcessError
from engine.models import ProcessVersion, Ticket
from engine.sandbox import limits
from engine.sandbox.rules import SandboxViolation
from engine.sandbox.script_engine import make_script_engine


class _StateConverter(BpmnWorkflowConverter):
    """Converts a workflow without its specs; ``load`` hands the cached spec objects back in."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


class _ClockDatetime(datetime):
    """SpiffWorkflow's timers read ``datetime.now`` directly; this makes them read KeyDesk's clock."""

    @classmethod
    def now(cls, tz=None):
        return clock.now() if tz is None else clock.now().astimezone(tz)


spiff_timers.datetime = _ClockDatetime

_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _StateConverter}))
script_engine = make_script_engine(services=services.dispatch)


def registry():
    """The serializer's converters, which SpiffWorkflow's spec diff compares specs with."""
    return _serializer.registry


def new_workflow(version: ProcessVersion, ticket: Ticket | None = None) -> BpmnWorkflow:
    spec, subprocess_specs = specs.get(version)
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    workflow.ticket = ticket  # for service-task handlers (engine.services)
    return workflow


def load(ticket: Ticket) -> BpmnWorkflow:
    spec, subprocess_specs = specs.get(ticket.process_version)
    dct = json.loads(ticket.workflow_state)
    _serializer.migrate(dct)
    dct["spec"], dct["subprocess_specs"] = spec, subprocess_specs
    workflow = _serializer.from_dict(dct)
    workflow.script_engine = script_engine
    workflow.ticket = ticket
    return workflow


def save(ticket: Ticket, workflow: BpmnWorkflow) -> None:
    """Keep the workflow's state on the ticket; a state over the limit fails the step instead."""
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


def title_of(task: SpiffTask) -> str:
    """The element's name; for one instance of a multi-instance task whose item carries a ``label``, with that label
    (the reviewer of many proposals sees in the inbox which one each task is)."""
    name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    item_ref = getattr(task.parent.task_spec, "input_item", None) if task.parent else None
    item = task.data.get(item_ref.bpmn_id) if item_ref is not None else None
    label = item.get("label") if isinstance(item, dict) else None
    return f"{name}: {label}"[:256] if label else name


def role_of(task: SpiffTask) -> str | None:
    """The lane of the task, or of the subprocess it runs in (lanes hold only top-level elements)."""
    while task is not None:
        if task.task_spec.lane:
            return task.task_spec.lane
        parent_id = task.workflow.parent_task_id
        task = task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None
