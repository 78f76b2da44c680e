"""Reports under /api/v1/reports (supervisors, managers, admins): JSON, or a spreadsheet with ?format=.

Every report but the dashboard takes ``start`` and ``end`` (YYYY-MM-DD, both days included, in the
time zone ``tz``, by default the user's). A range that cannot be read or ends before it starts is a 400.
Each JSON table names its columns and the codes it groups by (channel, role, process, step ...) in English and
Chinese (``values``: column -> value -> label, label_zh).
"""

import json
from datetime import datetime

from flask import g

from engine import reports
from engine.report_range import InvalidRange
from web import exports, report_values, report_views
from web.api import blueprint, engine_error


def param(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {"in": "query", "name": name, "schema": schema, "description": description, "required": required}


def choice(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


RANGE_PARAMS = [
    param("start", {"type": "string", "format": "date"}, "first day (default: the 1st of end's month)"),
    param("end", {"type": "string", "format": "date"}, "last day, included (default: today)"),
    param("tz", {"type": "string", "example": "Asia/Shanghai"}, "the reader's time zone (default: the user's)"),
    param("format", choice(*report_views.FORMATS)),
    param("table", {"type": "string"}, "the table to export as CSV"),
    param("lang", choice("en", "zh"), "the spreadsheet's headings"),
]
BY = param("by", choice(*reports.DIMENSIONS))
KIND = param("kind", choice(*reports.SLA_KINDS))
ANSWERS = """
      responses:
        200: {description: "the report's tables as JSON, or an XLSX workbook, or a CSV file"}
        400: {$ref: '#/components/responses/Error'}
"""


def documented(*extra: dict, ranged: bool = True):
    """Append the parameters (JSON is YAML too) and the answers to the view's OpenAPI docstring."""
    params = [*(RANGE_PARAMS if ranged else RANGE_PARAMS[2:]), *extra]

    def wrap(view):
        listed = "".join(f"\n        - {json.dumps(p)}" for p in params)
        view.__doc__ = f"{view.__doc__.rstrip()}\n      parameters:{listed}{ANSWERS}"
        return view
    return wrap


@blueprint.errorhandler(InvalidRange)
def bad_range(err: InvalidRange):
    return engine_error(err, 400)


def _answer(name: str):
    """The report in the format asked for: JSON, or a spreadsheet."""
    fmt = report_views.choice("format", report_views.FORMATS, "json")
    report = report_views.build(name, g.actor)
    if fmt != "json":
        return report_views.download(report, fmt, g.actor)
    return {"report": report.key, "range": report.range.as_dict(),
            "tables": {t.key: _json_table(t) for t in report.tables}}


def _json_table(table: reports.Table) -> dict:
    return {"title": exports.label(table.key, "en"), "title_zh": exports.label(table.key, "zh"),
            "columns": [{"key": c, "label": exports.label(c, "en"), "label_zh": exports.label(c, "zh")}
                        for c in table.columns],
            "rows": [{k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()}
                     for r in table.records()],
            "values": report_values.words(table)}


@blueprint.get("/reports/dashboard")
@documented(param("weeks", {"type": "integer", "minimum": 1, "maximum": 52}, "weeks of SLA trend (8)"),
            ranged=False)
def report_dashboard():
    """Dashboard: open tickets per channel, tasks due within the hour, breaches today, oldest open
    tickets, SLA compliance per week.
    ---
    get:
      tags: [reports]
    """
    return _answer("dashboard")


@blueprint.get("/reports/sla")
@documented(BY, KIND)
def report_sla():
    """SLA compliance: clocks met and breached, paused time, per channel, process, step, role,
    team member and customer tier (or only ``by``).
    ---
    get:
      tags: [reports]
    """
    return _answer("sla")


@blueprint.get("/reports/sla/tickets")
@documented({**BY, "required": True}, param("value", {"type": "string"}, "the group's value; none: the empty group"),
            param("outcome", choice(*reports.OUTCOMES)), KIND,
            param("limit", {"type": "integer", "minimum": 1, "maximum": 1000}),
            param("offset", {"type": "integer", "minimum": 0}))
def report_sla_tickets():
    """Drill-down: the tickets behind one figure of the SLA report.
    ---
    get:
      tags: [reports]
    """
    return _answer("sla_tickets")


@blueprint.get("/reports/volumes")
@documented()
def report_volumes():
    """Volumes and flow: tickets opened and closed per day and channel, median and 90th percentile
    time per step, complaint reopen rate, faults per level.
    ---
    get:
      tags: [reports]
    """
    return _answer("volumes")


@blueprint.get("/reports/managers")
@documented(param("sort", choice(*reports.MANAGER_SORTS)))
def report_managers():
    """Account managers ranked: tickets handled, response and resolution times, revisits,
    satisfaction, retention won and lost.
    ---
    get:
      tags: [reports]
    """
    return _answer("managers")


@blueprint.get("/reports/customers")
@documented()
def report_customers():
    """Customers: tickets and complaints per tier.
    ---
    get:
      tags: [reports]
    """
    return _answer("customers")


@blueprint.get("/reports/revisits")
@documented(param("plan", {"type": "string"}, "a revisit plan's ticket number"))
def report_revisits():
    """Revisits opened in the range: planned, done, not reached and open per account manager and per branch;
    satisfaction per tier (000 §二.3, 004 §五.7).
    ---
    get:
      tags: [reports]
    """
    return _answer("revisits")


@blueprint.get("/reports/suggestions")
@documented()
def report_suggestions():
    """Suggestions filed in the range, accepted and not, per month, branch and department; per department; per
    branch (004 §三.4.6, §二.2(4)).
    ---
    get:
      tags: [reports]
    """
    return _answer("suggestions")


@blueprint.get("/reports/churn_reasons")
@documented()
def report_churn_reasons():
    """Retention plans closed in the range: the customers lost per churn reason, and the plans per branch, outcome
    and reason (004 §五.8.7).
    ---
    get:
      tags: [reports]
    """
    return _answer("churn_reasons")
