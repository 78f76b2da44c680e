"""The ticket list (/tickets): filters, sort, pages and a CSV of what the filters find; and the navbar's search box,
which opens the ticket when one matches."""

from datetime import date

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from engine import deployments, saved_filters
from engine.directory import branches
from engine.errors import InvalidInput
from engine.fields import problem
from engine.models import CHANNELS, TICKET_STATES
from engine.search import tickets as ticket_search
from web import exports
from web.i18n import is_zh
from web.security import staff_blueprint

blueprint = staff_blueprint("ticket_list", __name__)
PAGE_ROWS = 50
EXPORT_ROWS = 10_000  # a CSV holds at most this many tickets: narrow the filters for more
COLUMNS = ("number", "title", "channel", "process", "status", "priority", "customer", "customer_code", "creator",
           "created_at", "closed_at")
TEXT_FILTERS = ("q", "channel", "process", "status", "customer", "creator", "sla")
VIEW_ARGS = (*TEXT_FILTERS, "branch_id", "opened_from", "opened_to", "sort", "dir")  # what a saved view keeps


def _filters() -> ticket_search.TicketFilter:
    """The filters from the query string; a wrong date or branch is an InvalidInput naming it."""
    args = request.args
    values = {name: args.get(name, "").strip() or None for name in TEXT_FILTERS}
    problems = []
    for name in ("opened_from", "opened_to"):
        raw = args.get(name, "").strip()
        try:
            values[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            problems.append(problem(name, "must be a date (YYYY-MM-DD)", "必须是日期（YYYY-MM-DD）"))
    branch = args.get("branch_id", "").strip()
    if branch and not branch.isdigit():
        problems.append(problem("branch_id", "must be a branch id", "必须是分支机构编号"))
    values["branch_id"] = int(branch) if branch.isdigit() else None
    if problems:
        raise InvalidInput("wrong ticket filters: " + ", ".join(p["field"] for p in problems), problems)
    return ticket_search.TicketFilter(**values)


def _sort() -> tuple[str, bool]:
    return request.args.get("sort", "number"), request.args.get("dir", "desc") != "asc"


@blueprint.get("/tickets")
def index():
    where, (sort, descending) = _filters(), _sort()
    zone = str(get_timezone())
    page = max(int(request.args["page"]), 1) if request.args.get("page", "").isdigit() else 1
    if request.args.get("format") == "csv":
        return _csv(ticket_search.find(current_user, where, sort, descending, zone, limit=EXPORT_ROWS))
    found = ticket_search.find(current_user, where, sort, descending, zone, limit=PAGE_ROWS,
                               offset=(page - 1) * PAGE_ROWS)
    total = ticket_search.count(current_user, where, zone)
    query = {k: v for k, v in request.args.items() if k not in ("page",) and v}
    return render_template("tickets/index.html", tickets=found, total=total, page=page, page_rows=PAGE_ROWS,
                           query=query, sort=sort, descending=descending, filters=where,
                           channels=tuple(CHANNELS), statuses=TICKET_STATES, sla_states=ticket_search.SLA_STATES,
                           processes=deployments.models(), branch_list=branches.listing(current_user),
                           sorts=tuple(ticket_search.SORTS), views=saved_filters.of(current_user, "tickets"))


@blueprint.post("/tickets/views")
def save_view():
    """Save the list's filters and sort under a name; filters the list would refuse are refused here too."""
    _filters().checked()
    ticket_search.check_sort(_sort()[0])
    args = {name: request.args.get(name, "").strip() for name in VIEW_ARGS}
    saved_filters.save(current_user, request.form.get("name", ""), args, "tickets")
    flash(_("View saved."), "success")
    return redirect(url_for("ticket_list.index", **{k: v for k, v in args.items() if v}))


@blueprint.post("/tickets/views/<int:view_id>/delete")
def delete_view(view_id: int):
    saved_filters.remove(current_user, view_id)
    flash(_("View removed."), "info")
    return redirect(url_for("ticket_list.index"))


@blueprint.get("/tickets/find")
def find():
    """The navbar's search box: straight to the ticket when exactly one matches, else the list of matches."""
    text = request.args.get("q", "").strip()
    where = ticket_search.TicketFilter(q=text or None)
    found = ticket_search.find(current_user, where, limit=2) if text else []
    if len(found) == 1:
        return redirect(url_for("tickets.show", ticket_id=found[0].id))
    return redirect(url_for("ticket_list.index", q=text) if text else url_for("ticket_list.index"))


def _csv(found) -> Response:
    zone = get_timezone()
    rows = ([t.number, t.title, t.channel, t.process_version.model.key, t.status, t.priority,
             t.customer.name if t.customer else None, t.customer.code if t.customer else None, t.creator.username,
             t.created_at.astimezone(zone).replace(tzinfo=None),
             t.closed_at.astimezone(zone).replace(tzinfo=None) if t.closed_at else None] for t in found)
    body = exports.csv_bytes(COLUMNS, rows, "zh" if is_zh() else "en")
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tickets.csv"})
