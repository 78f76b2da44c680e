"""The ticket page: header, timeline, comments, attachments and the diagram with the ticket's progress."""

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from engine import attachments, clock, progress, replies, tickets
from engine.db import db
from engine.errors import InvalidInput
from engine.inbox import sla_status
from engine.models import ACTIVE_TASK_STATES, PRIORITIES, HumanTask, ProcessModel, Ticket, TicketEvent
from engine.progress import diagram as ticket_diagram
from engine.sla import running as counting
from web import paging, schema_form, ticket_data
from web.i18n import element_name, is_zh, named
from web.security import staff_blueprint

blueprint = staff_blueprint("tickets", __name__)
SEVERITY = ("on_track", "warning", "breached")
RECORDED = ("created", "completed", "comment", "reply")  # what the page shows in full: form values, conversation
HISTORY_ROWS = 100


def _visible(ticket_id: int) -> Ticket:
    return tickets.get_ticket(ticket_id, current_user)


def ticket_context(ticket: Ticket) -> dict:
    """What the ticket page and the task form's side panel show; the history a page at a time, newest first."""
    recorded = _events(ticket, TicketEvent.kind.in_(RECORDED))
    history = paging.take(lambda limit, offset: _events(ticket, newest_first=True, limit=limit, offset=offset),
                          HISTORY_ROWS, "history_page", "history")
    open_tasks = list(db.session.scalars(
        select(HumanTask).where(HumanTask.ticket_id == ticket.id, HumanTask.state.in_(ACTIVE_TASK_STATES))
        .options(joinedload(HumanTask.assignee)).order_by(HumanTask.id)))
    now = clock.now()
    return {"ticket": ticket, "events": history.rows[::-1], "history": history, "open_tasks": open_tasks,
            "comments": [e for e in recorded if e.kind in ("comment", "reply")], "ticket_sla": _ticket_sla(ticket),
            "files": attachments.of(ticket), "now": now,
            "data_groups": ticket_data.groups(ticket, recorded, tickets.start_form(ticket.process_version)),
            "priority": max([ticket.priority, *(t.priority for t in open_tasks)], key=PRIORITIES.index),
            "sla_of": lambda task: sla_status(task.sla_state, task.due_at, now)}


def _events(ticket: Ticket, *where, newest_first: bool = False, limit: int | None = None,
            offset: int = 0) -> list[TicketEvent]:
    order = TicketEvent.id.desc() if newest_first else TicketEvent.id
    return list(db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id, *where)
        .options(joinedload(TicketEvent.actor), joinedload(TicketEvent.task))
        .order_by(order).limit(limit).offset(offset)))


def _ticket_sla(ticket: Ticket) -> dict | None:
    """The worst state of the ticket's running SLA clocks and the soonest due time, or None when none runs."""
    running = [c for c in tickets.sla_clocks(ticket) if counting(c)]
    if not running:
        return None
    now = clock.now()
    state = max((sla_status({"warned": "warned", "breached": "breached"}.get(c.state), c.due_at, now)
                 for c in running), key=SEVERITY.index)
    return {"state": state, "due_at": min(c.due_at for c in running)}


@blueprint.get("/tickets/<int:ticket_id>")
def show(ticket_id: int):
    """The ticket; ``reply_template`` and ``reply_lang`` fill the reply form from a template."""
    ticket = _visible(ticket_id)
    template = request.args.get("reply_template")
    subject, body = replies.draft(ticket, template, request.args.get("reply_lang")) if template else ("", "")
    return _page(ticket, {"to": request.args.get("to", ""), "subject": subject, "body": body,
                          "template": template or "", "lang": request.args.get("reply_lang", "")})


def _page(ticket: Ticket, reply: dict, errors: dict | None = None, status: int = 200):
    waits = progress.waiting_for(ticket)
    called = {w.what for w in waits if w.kind == "call"}
    models = {m.key: m for m in db.session.scalars(select(ProcessModel).where(ProcessModel.key.in_(called)))}
    context = ticket_context(ticket)
    return render_template("tickets/show.html", waits=waits, called=models, reply=reply, reply_errors=errors or {},
                           reply_to=replies.addresses(ticket), reply_templates=replies.TEMPLATES,
                           delivery=replies.delivery(context["comments"]), **context), status


@blueprint.post("/tickets/<int:ticket_id>/replies")
def reply(ticket_id: int):
    """Send a reply to the customer; a refused one shows the form again with what was typed and why."""
    ticket = _visible(ticket_id)
    form = {name: request.form.get(name, "") for name in ("to", "subject", "body")}
    try:
        replies.send(current_user, ticket.id, **form)
    except InvalidInput as err:
        flash(_("The reply was not sent."), "danger")
        return _page(_visible(ticket_id), form, schema_form.engine_errors(err.details), 422)
    flash(_("The reply is on its way to the customer."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id) + "#conversation")


@blueprint.get("/tickets/<int:ticket_id>/diagram")
def diagram(ticket_id: int):
    """The ticket's own process, or with ``?call=a&call=b`` the one its call activity ``a`` runs and, in that,
    ``b`` runs, as BPMN XML in the reader's language, with the element ids to mark and the call activities that
    open. Only for a ticket the reader may see: the call path reads the ticket's own workflow."""
    ticket = _visible(ticket_id)
    calls = tuple(request.args.getlist("call"))
    shown = ticket_diagram.of_ticket(ticket, calls, is_zh())
    process = named(shown.process) if shown.process else (shown.trail[-1].process if shown.trail else "")
    return jsonify(xml=shown.xml, diagram=shown.diagram_id, **shown.steps,
                   title=f"{process} · {_('version %(v)s', v=shown.version or '?')}",
                   calls={c.element_id: _call_name(c) for c in shown.calls},
                   trail=[{"label": named(ticket.process_version.model), "calls": []},
                          *({"label": _call_name(c), "calls": list(calls[:depth + 1])}
                            for depth, c in enumerate(shown.trail))])


def _call_name(call) -> str:
    return element_name(call.name, {"name_zh": call.name_zh})


@blueprint.post("/tickets/<int:ticket_id>/comments")
def comment(ticket_id: int):
    ticket = _visible(ticket_id)
    tickets.comment(current_user, ticket.id, request.form.get("body", ""))
    flash(_("Comment added."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id) + "#comments")


@blueprint.post("/tickets/<int:ticket_id>/<any(pause, resume, cancel):action>")
def change_state(ticket_id: int, action: str):
    """Wait on the customer (the SLA clocks stop), resume, or (supervisors) cancel; the engine checks the rest."""
    ticket = _visible(ticket_id)
    if action == "resume":
        tickets.resume(current_user, ticket.id)
    else:
        getattr(tickets, action)(current_user, ticket.id, request.form.get("reason", ""))
    flash({"pause": _("The ticket waits on the customer; its SLA clocks are stopped."),
           "resume": _("The ticket is running again."), "cancel": _("The ticket was cancelled.")}[action], "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))


@blueprint.post("/tickets/<int:ticket_id>/attachments")
def upload(ticket_id: int):
    ticket = _visible(ticket_id)
    upload = request.files.get("file")
    attachments.add(current_user, ticket, upload.filename if upload else "", upload.read() if upload else b"")
    flash(_("File attached."), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id) + "#attachments")


@blueprint.get("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    row = attachments.get(attachment_id)
    _visible(row.ticket_id)
    return send_file(attachments.path_of(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename, max_age=0)
