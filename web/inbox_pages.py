"""The inbox: "Mine", "My queues" and, for supervisors, "Team"; filters, saved filters, claim and unclaim.

The list is a partial that htmx refreshes in place (on a live notice, every 5 minutes, after each action); the page
around it loads once.
"""

from flask import flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine import clock, deployments, inbox, saved_filters, tickets
from engine.errors import EngineError, Forbidden, InvalidInput
from engine.fields import problem
from web import schema_form
from web.i18n import error_text
from web.security import staff_blueprint

blueprint = staff_blueprint("inbox", __name__)
FILTERS = ("view", "channel", "process", "task", "customer", "sla", "sort")
PAGE_ROWS = 50  # rows the list shows first; "Show more" adds as many again, up to MAX_ROWS
MAX_ROWS = 500
BULK_ACTIONS = ("claim", "unclaim", "assign")
STRIP_ROWS = 5  # the supervisors' "about to breach" strip: the tasks in warning, soonest due first


def _args() -> dict[str, str]:
    """The list's arguments from the query string or the posted form, empty ones dropped."""
    source = request.values
    args = {name: source.get(name, "").strip() for name in FILTERS}
    args = {name: value for name, value in args.items() if value}
    if args.get("view") not in inbox.VIEWS:
        args["view"] = _default_view()
    session["inbox_view"] = args["view"]
    return args


def _default_view() -> str:
    """The view last shown in this session; at sign-in, Mine if anything is mine, else My queues."""
    remembered = session.get("inbox_view")
    if remembered in inbox.VIEWS and (remembered != "team" or current_user.has_role(*inbox.TEAM_ROLES)):
        return remembered
    return "mine" if inbox.counts(current_user)["mine"] else "queues"


def _panel_context(args: dict[str, str]) -> dict:
    if args["view"] == "team" and not current_user.has_role(*inbox.TEAM_ROLES):
        raise Forbidden(_("The team view is for supervisors."))
    filters = {key: value or None for key, value in args.items() if key not in ("view", "sort")}
    shown = _shown()
    rows = inbox.inbox(current_user, view=args["view"], **filters, sort=args.get("sort", "due"),
                       limit=shown + 1)  # one more tells whether there are more
    rows, more = rows[:shown], len(rows) > shown
    people = inbox.holders(rows) if args["view"] == "team" else {}
    user = current_user._get_current_object()  # asked once per row below: the proxy costs a look-up each time
    supervising = user.has_role(*inbox.TEAM_ROLES)
    soon = inbox.inbox(user, view="team", sla="warning", limit=STRIP_ROWS) if supervising else []
    query = {**args, "shown": shown} if shown != PAGE_ROWS else args  # the list as shown, for links back to it
    return {"rows": rows, "more": more, "shown": shown, "page_rows": PAGE_ROWS, "args": args, "query": query,
            "counts": inbox.counts(user), "count_cap": inbox.COUNT_CAP, "now": clock.now(), "people": people,
            "about_to_breach": soon, "workable": {row.task_id for row in rows if tickets.may_work(user, row)},
            "links": _row_links(query)}


class RowLink:
    """An endpoint's URL for every row of a list: url_for runs once per list and each row puts its id in
    (three url_for calls a row were a fifth of the list's rendering)."""

    MARK = 2147483647  # an id no row has: where it lands in the URL's path is where a row's id goes

    def __init__(self, endpoint: str, id_arg: str, **values):
        path, question, query = url_for(endpoint, **{id_arg: self.MARK}, **values).partition("?")
        self.before, after = path.split(str(self.MARK), 1)
        self.after = after + question + query

    def __call__(self, row_id: int) -> str:
        return f"{self.before}{row_id}{self.after}"


def _row_links(query: dict) -> dict[str, RowLink]:
    """The links of the list's rows; those acting on a task carry the list's query, to show the same list after."""
    return {"ticket": RowLink("tickets.show", "ticket_id"), "task": RowLink("tasks.show", "task_id"),
            "assign": RowLink("inbox.assign", "task_id", **query),
            **{action: RowLink("inbox.take", "task_id", action=action, **query) for action in ("claim", "unclaim")}}


def _shown() -> int:
    """How many rows to show: PAGE_ROWS, or what "Show more" asked for (a whole number up to MAX_ROWS)."""
    asked = request.values.get("shown", "")
    return min(int(asked), MAX_ROWS) if asked.isdigit() and int(asked) > PAGE_ROWS else PAGE_ROWS


def refusal(err: EngineError) -> str:
    """Why the engine refused, in the user's language where it names a field (with a Chinese text), else as is."""
    return next(iter(schema_form.engine_errors(err.details).values()), error_text(err))


@blueprint.get("/")
@blueprint.get("/inbox")
def index():
    args = _args()
    return render_template("inbox/index.html", processes=deployments.models(),
                           saved=saved_filters.of(current_user), **_panel_context(args))


@blueprint.get("/inbox/list")
def panel():
    args = _args()
    response = make_response(render_template("inbox/_panel.html", **_panel_context(args)))
    if request.headers.get("HX-Trigger") == "inbox-filters":  # a filter change, not the periodic refresh
        response.headers["HX-Push-Url"] = url_for("inbox.index", **args)
    return response


@blueprint.post("/inbox/tasks/<int:task_id>/<any(claim, unclaim):action>")
def take(task_id: int, action: str):
    """Claim or give back a task, then show the list again (in place under htmx, with any refusal above it)."""
    if request.headers.get("HX-Request"):
        notice = None
        try:
            getattr(tickets, action)(current_user, task_id)
        except EngineError as err:
            notice = refusal(err)
        return render_template("inbox/_panel.html", notice=notice, **_panel_context(_args()))
    getattr(tickets, action)(current_user, task_id)
    flash(_("Task claimed.") if action == "claim" else _("Task returned to its queue."), "success")
    return redirect(url_for("inbox.index", **_args()))


@blueprint.post("/inbox/tasks/<int:task_id>/assign")
def assign(task_id: int):
    """A supervisor hands a task to someone with its role in the ticket's branches (the engine checks both)."""
    if request.headers.get("HX-Request"):
        notice = None
        try:
            tickets.assign(current_user, task_id, request.form.get("username", ""))
        except EngineError as err:
            notice = _("The task was not assigned: %(reason)s", reason=refusal(err))
        return render_template("inbox/_panel.html", notice=notice, **_panel_context(_args()))
    tickets.assign(current_user, task_id, request.form.get("username", ""))
    flash(_("Task assigned."), "success")
    return redirect(url_for("inbox.index", **_args()))


@blueprint.post("/inbox/bulk")
def bulk():
    """Claim, give back or (supervisors) assign the ticked tasks: each goes through or is named with its reason."""
    action, chosen = request.form.get("action", ""), request.form.getlist("task")
    if action not in BULK_ACTIONS or not chosen or not all(value.isdigit() for value in chosen):
        raise InvalidInput("tick at least one task and choose claim, unclaim or assign",
                           [problem("task", "no task ticked", "请至少勾选一个任务")])
    done, refused = 0, []
    for task_id in map(int, chosen):
        try:
            if action == "assign":
                tickets.assign(current_user, task_id, request.form.get("username", ""))
            else:
                getattr(tickets, action)(current_user, task_id)
            done += 1
        except EngineError as err:
            refused.append(_("Task %(id)s: %(reason)s", id=task_id, reason=refusal(err)))
    flash(_("%(n)s of %(total)s tasks done.", n=done, total=len(chosen)), "success" if done else "warning")
    for text in refused:
        flash(text, "warning")
    return redirect(url_for("inbox.index", **_args()))


@blueprint.post("/inbox/filters")
def save_filter():
    saved_filters.save(current_user, request.form.get("name", ""), _args())
    flash(_("Filter saved."), "success")
    return redirect(url_for("inbox.index", **_args()))


@blueprint.post("/inbox/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int):
    saved_filters.remove(current_user, filter_id)
    flash(_("Filter removed."), "info")
    return redirect(url_for("inbox.index"))
