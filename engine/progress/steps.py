"""Where a ticket stands on its diagram: the steps it finished, the ones it waits on, the ones that broke their SLA."""

from sqlalchemy import select

from engine import runtime
from engine.db import db
from engine.models import ACTIVE_TASK_STATES, HumanTask, SlaClock, Ticket


def steps(ticket: Ticket) -> dict[str, list[str]]:
    """BPMN element ids: finished (from the workflow), current and breached (from the task and SLA rows)."""
    workflow = runtime.load(ticket)
    finished = runtime.finished_elements(workflow)
    current = {t.task_spec.bpmn_id for t, _due in runtime.waiting_timers(workflow).values()}
    current |= set(db.session.scalars(select(HumanTask.element_id).where(
        HumanTask.ticket_id == ticket.id, HumanTask.state.in_(ACTIVE_TASK_STATES))))
    breached = set(db.session.scalars(
        select(HumanTask.element_id).join(SlaClock, SlaClock.task_id == HumanTask.id)
        .where(HumanTask.ticket_id == ticket.id, SlaClock.state == "breached")))
    breached |= set(db.session.scalars(select(HumanTask.element_id).where(
        HumanTask.ticket_id == ticket.id, HumanTask.sla_state == "breached")))
    return {"finished": sorted(finished - current), "current": sorted(current), "breached": sorted(breached)}
