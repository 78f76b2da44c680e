"""A new ticket in a channel: pick the process and the customer, fill the start form, start the process."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import customers as customer_records
from engine import deployments, forms, inbox, tickets
from engine.errors import InvalidInput, NotFound
from engine.models import CHANNELS, PRIORITIES, Customer, ProcessModel
from web import schema_form
from web.security import staff_blueprint

blueprint = staff_blueprint("new_ticket", __name__)


def _processes(channel: str) -> list[ProcessModel]:
    if channel not in CHANNELS:
        abort(404)
    return [m for m in deployments.models()
            if m.channel == channel and tickets.started_by_hand(deployments.latest_version(m.key))]


def _render(channel: str, values: dict, errors: dict[str, str], status: int = 200):
    processes = _processes(channel)
    chosen = request.values.get("process") or (processes[0].key if processes else None)
    process = next((m for m in processes if m.key == chosen), None)
    schema = tickets.start_form(deployments.latest_version(process.key)) if process else None
    customer_id = request.values.get("customer_id", type=int)
    customer = _customer(customer_id) if customer_id else None
    return render_template("tickets/new.html", channel=channel, processes=processes, process=process,
                           fields=schema_form.fields(schema, values, errors), errors=errors, customer=customer,
                           priorities=PRIORITIES, form=request.form), status


def _customer(customer_id: int) -> Customer | None:
    """The preselected customer, if the user may see it."""
    try:
        return customer_records.get(customer_id, current_user)
    except NotFound:
        return None


@blueprint.get("/tickets/new/<channel>")
def form(channel: str):
    return _render(channel, {}, {})


@blueprint.get("/tickets/new/customers")
def customers():
    """Customers matching the search box, as choices for the form (an htmx partial)."""
    found = inbox.search_customers(current_user, request.args.get("q", ""))
    return render_template("tickets/_customers.html", customers=found)


@blueprint.post("/tickets/new/<channel>")
def start(channel: str):
    processes = _processes(channel)
    process = next((m for m in processes if m.key == request.form.get("process")), None)
    if process is None:
        raise InvalidInput(_("Choose a process of this channel."), [{"field": "process", "message": "unknown"}])
    schema = tickets.start_form(deployments.latest_version(process.key))
    values, errors = schema_form.parse(schema, request.form)
    try:
        forms.validate(schema, values)
    except InvalidInput as err:  # checked here too, so that every wrong field is named at once
        errors = {**schema_form.engine_errors(err.details), **errors}
    if not request.form.get("title", "").strip():
        errors["title"] = _("Give the ticket a title.")
    if errors:
        return _render(channel, values, errors, 422)
    raw_customer = request.form.get("customer_id", "")
    try:
        ticket = tickets.start_ticket(current_user, process.key, request.form.get("title", ""),
                                      customer_id=int(raw_customer) if raw_customer.isdigit() else None,
                                      priority=request.form.get("priority", "normal"), data=values)
    except InvalidInput as err:
        flash(_("Please correct the marked fields."), "danger")
        return _render(channel, values, schema_form.engine_errors(err.details), 422)
    flash(_("Ticket %(number)s started.", number=ticket.number), "success")
    return redirect(url_for("tickets.show", ticket_id=ticket.id))

