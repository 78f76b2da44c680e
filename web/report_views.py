"""What the reports API and the report pages share: reading a report's arguments from the request,
building it for the reader, and answering it as a spreadsheet.

Ranges are whole days in the reader's time zone: ``tz`` if given, else the user's own, else the desk's.
"""

from flask import Response, current_app, request

from engine import clock, report_range, reports
from engine.consultations import suggestions
from engine.errors import InvalidInput
from engine.models import User
from engine.retention_library import results
from engine.revisits import records
from web import exports

FORMATS = ("json", "xlsx", "csv")
MIMETYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv": "text/csv; charset=utf-8"}
NAMES = ("dashboard", "sla", "sla_tickets", "volumes", "managers", "customers", "revisits", "suggestions",
         "churn_reasons")


def zone(actor: User):
    return report_range.zone(request.args.get("tz"), getattr(actor, "timezone", None) or current_app.config["TIMEZONE"])


def date_range(actor: User) -> report_range.DateRange:
    tz = zone(actor)
    return report_range.parse(request.args.get("start"), request.args.get("end"), tz, clock.now().astimezone(tz).date())


def choice(name: str, choices, default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    if value is not None and value not in choices:
        raise InvalidInput(f"{name} must be one of {', '.join(choices)}, not {value!r}",
                           [{"field": name, "message": "unknown"}])
    return value


def whole(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}",
                           [{"field": name, "message": "out of range"}])
    return int(raw)


def build(name: str, actor: User) -> reports.Report:
    """The report ``name`` with the request's arguments, as ``actor`` may see it."""
    args = request.args
    if name == "dashboard":
        return reports.dashboard(actor, reports.now_range(zone(actor), whole("weeks", 8, 1, 52)))
    if name == "sla":
        return reports.sla(actor, date_range(actor), by=args.get("by") or None, kind=args.get("kind") or None)
    if name == "sla_tickets":
        if not args.get("by"):
            raise InvalidInput("say which figure: by (and value)", [{"field": "by", "message": "required"}])
        return reports.sla_tickets(actor, date_range(actor), args["by"], args.get("value"),
                                   outcome=args.get("outcome") or None, kind=args.get("kind") or None,
                                   limit=whole("limit", 100, 1, 1000), offset=whole("offset", 0, 0, 10**9))
    if name == "volumes":
        return reports.volumes(actor, date_range(actor))
    if name == "managers":
        return reports.managers(actor, date_range(actor), sort=args.get("sort") or "tickets_handled")
    if name == "revisits":
        return records.report(actor, date_range(actor), args.get("plan") or None)
    if name == "suggestions":
        return suggestions.report(actor, date_range(actor))
    if name == "churn_reasons":
        return results.churn_reasons(actor, date_range(actor))
    return reports.customers(actor, date_range(actor))


def language(actor: User) -> str:
    """Spreadsheet headings: ``lang`` if given, else the user's language, else the browser's."""
    chosen = choice("lang", exports.LANGUAGES)
    if chosen:
        return chosen
    locale = getattr(actor, "locale", None)
    if locale:
        return "zh" if locale.startswith("zh") else "en"
    return request.accept_languages.best_match(exports.LANGUAGES, "en")


def download(report: reports.Report, fmt: str, actor: User) -> Response:
    """The report as an XLSX workbook (every table a sheet) or one table as CSV."""
    lang = language(actor)
    name = f"{report.key}_{report.range.first_day}_{report.range.last_day}"
    if fmt == "xlsx":
        body, filename = exports.to_xlsx(report, lang), f"{name}.xlsx"
    else:
        table = report.table(request.args["table"]) if request.args.get("table") else _only_table(report)
        body, filename = exports.to_csv(report, table, lang), f"{name}_{table.key}.csv"
    return Response(body, mimetype=MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _only_table(report: reports.Report) -> reports.Table:
    if len(report.tables) != 1:
        raise InvalidInput(f"name the table to export as CSV: {', '.join(t.key for t in report.tables)}",
                           [{"field": "table", "message": "required"}])
    return report.tables[0]
