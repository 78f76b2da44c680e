"""Why an open ticket is still open, beyond its people's tasks: the timers it waits for and when they fall due,
the messages it waits for, and the call activities (processes of their own) it is inside."""

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState

from engine import runtime
from engine.models import Ticket


@dataclass(frozen=True)
class Wait:
    """One thing the ticket waits on: ``kind`` is timer, message or call; ``what`` names the message or the
    called process's key."""

    kind: str
    element_id: str
    name: str
    properties: dict
    due_at: datetime | None = None
    what: str | None = None
    calls: tuple[str, ...] = ()  # a call: the call activities from the ticket's own process down to this one


def waiting_for(ticket: Ticket) -> list[Wait]:
    """The call activities the ticket runs in (outermost first), then its timers by due time, then its messages;
    nothing for a ticket that is no longer open."""
    if ticket.status != "open":
        return []
    workflow = runtime.load(ticket)
    return [*_calls(workflow), *_timers(workflow), *_messages(workflow)]


def _wait(task, kind: str, **fields) -> Wait:
    spec = task.task_spec
    return Wait(kind, spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, runtime.properties(task), **fields)


def _calls(workflow) -> list[Wait]:
    started = [t for t in workflow.get_tasks(state=TaskState.STARTED) if isinstance(t.task_spec, CallActivity)]
    return [_wait(task, "call", what=task.task_spec.spec, calls=_call_path(task))
            for task in sorted(started, key=lambda t: t.workflow.depth)]


def _call_path(task) -> tuple[str, ...]:
    """The element ids of the call activities that lead from the ticket's own process to ``task``'s, and its own."""
    path = [task.task_spec.bpmn_id]
    while (parent_id := getattr(task.workflow, "parent_task_id", None)) is not None:
        task = task.workflow.top_workflow.get_task_from_id(parent_id)
        path.insert(0, task.task_spec.bpmn_id)
    return tuple(path)


def _timers(workflow) -> list[Wait]:
    found = sorted(runtime.waiting_timers(workflow).values(), key=lambda pair: pair[1])
    return [_wait(task, "timer", due_at=due) for task, due in found]


def _messages(workflow) -> list[Wait]:
    waiting = [t for t in workflow.get_tasks(state=TaskState.WAITING)
               if isinstance(getattr(t.task_spec, "event_definition", None), MessageEventDefinition)]
    return [_wait(task, "message", what=task.task_spec.event_definition.name) for task in waiting]
