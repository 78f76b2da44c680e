"""A task's form, rendered from its JSON Schema, with the ticket beside it; complete it or save a draft."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import deployments, drafts, tickets
from engine.errors import Forbidden, InvalidInput
from engine.models import ACTIVE_TASK_STATES, HumanTask
from web import schema_form
from web.i18n import named, term
from web.security import staff_blueprint
from web.ticket_pages import ticket_context

blueprint = staff_blueprint("tasks", __name__)


@blueprint.app_template_global()
def may_work_on(task: HumanTask) -> bool:
    """Whether the page offers to open (and claim) the task: the engine's rule for the signed-in user."""
    return tickets.may_work(current_user, task)


def _workable(task_id: int) -> HumanTask:
    """The task, if it is the user's to work: their role, assigned to them, or a supervisor stepping in."""
    task = tickets.get_task(task_id, current_user)
    if not tickets.may_work(current_user, task):
        raise Forbidden(_("This task belongs to the role %(role)s, which you do not have.", role=task.role))
    return task


def _render(task: HumanTask, values: dict, errors: dict[str, str], status: int = 200):
    schema = tickets.task_form(task)
    draft = drafts.find(task, current_user)
    guidance = deployments.documentation(task.ticket.process_version, task.element_id)
    return render_template("tasks/form.html", task=task, schema=schema, guidance=guidance,
                           fields=schema_form.fields(schema, values, errors), draft=draft,
                           **ticket_context(task.ticket)), status


@blueprint.get("/tasks/<int:task_id>")
def show(task_id: int):
    task = _workable(task_id)
    if task.state not in ACTIVE_TASK_STATES:
        flash(_("This task is already %(state)s.", state=term(task.state)), "info")
        return redirect(url_for("tickets.show", ticket_id=task.ticket_id))
    draft = drafts.find(task, current_user)
    return _render(task, draft.data if draft else {}, {})


@blueprint.post("/tasks/<int:task_id>/draft")
def autosave(task_id: int):
    """Keep what is typed so far (the page calls this as one types); answers with the line saying when."""
    task = _workable(task_id)
    schema = tickets.task_form(task)
    values, _errors = schema_form.parse(schema, request.form)
    draft = drafts.save(task, current_user, values)
    return render_template("tasks/_draft_saved.html", draft=draft)


@blueprint.post("/tasks/<int:task_id>")
def submit(task_id: int):
    """Complete the task, or keep what was typed as a draft (no validation for a draft)."""
    task = _workable(task_id)
    schema = tickets.task_form(task)
    values, errors = schema_form.parse(schema, request.form)
    if request.form.get("action") == "draft":
        drafts.save(task, current_user, values)
        flash(_("Draft saved."), "success")
        return redirect(url_for("tasks.show", task_id=task.id))
    if errors:
        return _render(task, values, errors, 422)
    try:
        tickets.complete(current_user, task.id, values)
    except InvalidInput as err:
        flash(_("Please correct the marked fields."), "danger")
        return _render(task, values, schema_form.engine_errors(err.details), 422)
    drafts.discard(task, current_user)
    following = tickets.take_next(current_user, task.ticket_id) if current_user.open_next else None
    if following is not None:
        flash(_("Task completed. The next step of %(ticket)s is yours: %(task)s.", ticket=task.ticket.number,
                task=named(following)), "success")
        return redirect(url_for("tasks.show", task_id=following.id))
    flash(_("Task completed."), "success")
    return redirect(url_for("inbox.index"))
