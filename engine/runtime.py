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

from engine import clock, sandbox, services
from engine.deployments import specs
from engine.errors import ProcessError
from engine.models import ProcessVersion, Ticket


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
script_engine = sandbox.make_script_engine(services=services.dispatch)


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
    ticket.workflow_state = _serializer.serialize_json(workflow)


def advance(workflow: BpmnWorkflow) -> None:
    """Run everything the engine can run without a person; a diagram error becomes a ProcessError."""
    try:
        workflow.do_engine_steps()
    except SpiffWorkflowException as err:
        raise process_error(err) from err


def run_task(workflow: BpmnWorkflow, task: SpiffTask, data: dict) -> None:
    """Complete a human task with its form data, then advance."""
    task.data.update(data)
    try:
        task.run()
    except SpiffWorkflowException as err:
        raise process_error(err) from err
    advance(workflow)


def process_error(err: SpiffWorkflowException) -> ProcessError:
    task = getattr(err, "task", None)
    element = task.task_spec.bpmn_id if task is not None else None
    return ProcessError(f"the process stopped at {element or 'an element'}: {err}",
                        {"element_id": element, "message": str(err)})


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
    try:
        workflow.refresh_timers()
    except SpiffWorkflowException as err:
        raise process_error(err) from err
    advance(workflow)


def find_task(workflow: BpmnWorkflow, spiff_task_id: str) -> SpiffTask | None:
    return workflow.get_task_from_id(UUID(spiff_task_id))


def properties(task: SpiffTask) -> dict[str, str]:
    """The spiffworkflow:properties on a task's element (form, sla.*)."""
    return getattr(task.task_spec, "extensions", {}).get("properties", {})


def role_of(task: SpiffTask) -> str | None:
    """The lane of the task, or of the subprocess it runs in (lanes hold only top-level elements)."""
    while task is not None:
        if task.task_spec.lane:
            return task.task_spec.lane
        parent_id = task.workflow.parent_task_id
        task = task.workflow.top_workflow.get_task_from_id(parent_id) if parent_id else None
    return None
