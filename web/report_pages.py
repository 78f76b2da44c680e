"""The report pages: dashboard and reports with charts, a date-range form, drill-down links and exports.

The figures come from engine.reports (which checks the role); the charts are drawn in the browser by
Chart.js from a JSON description in each canvas's data attribute, so the pages need no inline script.
"""

from flask import abort, render_template, request, url_for
from flask_login import current_user

from engine import reports
from engine.directory import permissions
from engine.report_range import InvalidRange
from web import exports, report_values, report_views
from web.i18n import error_text, is_zh
from web.security import staff_blueprint

blueprint = staff_blueprint("reports", __name__, url_prefix="/reports")

# per report: (table, chart type, the column of the labels, the columns charted, stacked)
CHARTS = {
    "dashboard": [("open_tickets", "bar", "channel", ("active", "waiting"), True),
                  ("sla_trend", "line", "week", ("compliance_pct",), False),
                  ("breaches_today", "pie", "channel", ("breaches",), False)],
    "sla": [(f"by_{name}", "bar", name, ("met", "breached"), True) for name in reports.DIMENSIONS],
    "volumes": [("by_day", "line", "day", ("opened", "closed"), False),
                ("by_channel", "bar", "channel", ("opened", "closed"), False),
                ("step_times", "bar", "step", ("median_seconds", "p90_seconds"), False),
                ("fault_levels", "pie", "fault_level", ("tickets",), False)],
    "managers": [("ranking", "bar", "username", ("tickets_handled", "revisits_done", "retained", "lost"), False)],
    "customers": [("by_tier", "bar", "tier", ("tickets", "complaints"), False),
                  ("by_industry", "pie", "industry", ("tickets",), False)],
    "revisits": [("by_manager", "bar", "username", ("done", "not_reached", "open"), True),
                 ("satisfaction_by_tier", "bar", "tier", ("satisfaction_avg",), False)],
    "suggestions": [("by_department", "bar", "department", ("accepted", "not_accepted"), True)],
    "churn_reasons": [("by_reason", "pie", "churn_reason", ("lost",), False)],
    "sla_tickets": [],
}
# the choices each report's form offers besides the range: argument -> values
CHOICES = {"sla": {"by": ("", *reports.DIMENSIONS), "kind": ("", *reports.SLA_KINDS)},
           "managers": {"sort": tuple(reports.MANAGER_SORTS)}}
MENU = ("dashboard", "sla", "volumes", "managers", "customers", "revisits", "suggestions", "churn_reasons")


@blueprint.app_template_global()
def report_label(key: str) -> str:
    return exports.label(key, "zh" if is_zh() else "en")


@blueprint.app_template_global()
def report_value(column: str, value) -> str:
    """A grouped code (channel, role, process, step ...) as the reader's language names it."""
    return report_values.word(column, value, "zh" if is_zh() else "en")


@blueprint.app_template_global()
def can_see_reports() -> bool:
    return current_user.is_authenticated and current_user.has_role(*permissions.PERMISSIONS["reports"])


@blueprint.errorhandler(InvalidRange)
def bad_range(err: InvalidRange):
    return render_template("error.html", status=400, message=error_text(err)), 400


@blueprint.get("/")
def dashboard():
    return _page("dashboard")


@blueprint.get("/<name>")
def report(name: str):
    if name not in CHARTS or name == "dashboard":
        abort(404)
    return _page(name)


@blueprint.get("/<name>/export")
def export(name: str):
    if name not in CHARTS:
        abort(404)
    fmt = report_views.choice("format", report_views.MIMETYPES, "xlsx")
    return report_views.download(report_views.build(name, current_user), fmt, current_user)


def _page(name: str):
    built = report_views.build(name, current_user)
    shown = {t.key for t in built.tables}  # the SLA report may show one dimension only
    return render_template("reports/page.html", report=built, name=name, menu=MENU,
                           charts=[chart(built, *spec) for spec in CHARTS[name] if spec[0] in shown],
                           choices=CHOICES.get(name, {}), args=request.args,
                           export_url=lambda fmt, **more: url_for("reports.export", name=name,
                                                                  **{**request.args, "format": fmt, **more}),
                           drill_url=lambda **more: url_for("reports.report", name="sla_tickets",
                                                            **{**_range_args(built), **more}))


def _range_args(report: reports.Report) -> dict:
    return {"start": report.range.first_day.isoformat(), "end": report.range.last_day.isoformat(),
            "tz": report.range.tz.key, **({"kind": request.args["kind"]} if request.args.get("kind") else {})}


def chart(report: reports.Report, table_key: str, kind: str, label_column: str, columns: tuple[str, ...],
          stacked: bool) -> dict:
    """What reports.js hands to Chart.js: labels, one dataset per column, and the table's title."""
    table = report.table(table_key)
    at = {c: i for i, c in enumerate(table.columns)}
    return {"key": table_key, "type": kind, "stacked": stacked, "title": report_label(table_key),
            "labels": [report_value(label_column, row[at[label_column]]) for row in table.rows],
            "datasets": [{"label": report_label(c), "data": [row[at[c]] for row in table.rows]} for c in columns]}
