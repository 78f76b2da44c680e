"""Where a ticket stands on a diagram: the steps it finished, the ones it waits on, the ones that broke their SLA.

A call activity runs its process inside the ticket's own workflow (a subprocess), so each diagram the ticket
page shows, its own or one a call activity runs, is a *scope*: the process's spec and the (sub)workflows that run
it at that place. Steps are read per scope, so an element id that two processes share (``start``, ``end``) is
marked only in the process that passed it.
"""

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import or_, select

from engine import runtime
from engine.db import db
from engine.errors import NotFound
from engine.models import ACTIVE_TASK_STATES, HumanTask, SlaClock, Ticket


@dataclass(frozen=True)
class Scope:
    """One process as the ticket runs it: ``workflows`` are the live (sub)workflows running ``spec`` there;
    ``entered`` says the ticket got that far (a finished subprocess may have been pruned away)."""

    top: object  # the ticket's workflow
    spec: object
    workflows: tuple
    entered: bool

    def element_ids(self) -> set[str]:
        return {s.bpmn_id for s in self.spec.task_specs.values() if s.bpmn_id}

    def call_activities(self) -> list:
        """The call activities drawn in this process, in the spec's order."""
        return [s for s in self.spec.task_specs.values() if isinstance(s, CallActivity)]

    def live_tasks(self) -> list:
        return [t for w in self.workflows for t in w.tasks.values()]


def scope(workflow, calls: tuple[str, ...] = ()) -> Scope:
    """The process reached through the call activities ``calls`` (element ids, outermost first), or NotFound
    naming the first id that is no call activity of the process before it."""
    here = Scope(workflow, workflow.spec, (workflow,), True)
    for element_id in calls:
        called = next((s for s in here.call_activities() if s.bpmn_id == element_id), None)
        if called is None:
            raise NotFound(f"the process {here.spec.name} has no call activity {element_id!r}",
                           message_zh=f"流程 {here.spec.name} 中没有调用活动 {element_id!r}")
        runs = [workflow.subprocesses[t.id] for t in here.live_tasks()
                if t.task_spec is called and t.id in workflow.subprocesses]
        entered = bool(runs) or element_id in _finished(here)
        here = Scope(workflow, workflow.subprocess_specs[called.spec], tuple(runs), here.entered and entered)
    return here


def steps_in(ticket: Ticket, here: Scope) -> dict[str, list[str]]:
    """BPMN element ids of one scope: finished (from the workflow), current (its waiting tasks, timers and running
    call activities) and breached (from the task and SLA rows; a task of a pruned subprocess by its element)."""
    workflow = here.top
    live = {str(t.id) for t in here.live_tasks()}
    everywhere = {str(task_id) for w in (workflow, *workflow.subprocesses.values()) for task_id in w.tasks}
    ids = here.element_ids()
    current = {t.task_spec.bpmn_id for t in here.live_tasks()
               if isinstance(t.task_spec, CallActivity) and t.state == TaskState.STARTED}
    current |= {t.task_spec.bpmn_id for t, _due in runtime.waiting_timers(workflow).values()
                if any(t.workflow is w for w in here.workflows)}
    current |= {element for element, task_id in _human_tasks(ticket, HumanTask.state.in_(ACTIVE_TASK_STATES))
                if task_id in live}
    breached = {element for element, task_id in _human_tasks(ticket, _breached())
                if task_id in live or (task_id not in everywhere and here.entered and element in ids)}
    return {"finished": sorted(_finished(here) - current), "current": sorted(current), "breached": sorted(breached)}


def _finished(here: Scope) -> set[str]:
    """What the live tasks completed, plus (once the scope was entered) its elements among the pruned ones."""
    done = {t.task_spec.bpmn_id for t in here.live_tasks() if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id}
    if here.entered:
        done |= runtime.pruned_elements(here.top) & here.element_ids()
    return done


def _breached():
    breached_clock = select(SlaClock.task_id).where(SlaClock.state == "breached")
    return or_(HumanTask.sla_state == "breached", HumanTask.id.in_(breached_clock))


def _human_tasks(ticket: Ticket, condition) -> list[tuple[str, str]]:
    return list(db.session.execute(select(HumanTask.element_id, HumanTask.spiff_task_id)
                                   .where(HumanTask.ticket_id == ticket.id, condition)))
