"""Import templates and exports as files: a kind's header row (English field names or Chinese labels), then rows.

Written as the report exports are (web/exports.py): CSV in UTF-8 with a BOM, text that a
spreadsheet would run as a formula guarded, XLSX cells kept as text. An export imports back
unchanged (engine/imports/files.py drops the guard's apostrophe).
"""

import csv
import io
from collections.abc import Iterable

from flask import Response
from openpyxl import Workbook

from engine.errors import InvalidInput
from engine.fields import problem
from engine.imports.columns import labels
from web.exports import append_row, csv_text

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def download(columns: tuple, rows: Iterable[list], fmt: str, lang: str, name: str) -> Response:
    if fmt not in FORMATS:
        listed = ", ".join(FORMATS)
        raise InvalidInput(f"format must be one of {listed}",
                           [problem("format", f"one of {listed}", f"应为 {listed} 之一")])
    header = labels(columns, lang)
    body = _csv(header, rows) if fmt == "csv" else _xlsx(header, rows)
    return Response(body, mimetype=FORMATS[fmt], headers={"Content-Disposition": f"attachment; filename={name}.{fmt}"})


def _csv(header: list[str], rows: Iterable[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8


def _xlsx(header: list[str], rows: Iterable[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        append_row(sheet, ["" if value is None else str(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
