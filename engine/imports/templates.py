"""Template files: a kind's header row, in English field names or Chinese labels, as CSV or XLSX."""

import csv
import io

from openpyxl import Workbook

from engine.errors import InvalidInput
from engine.fields import problem
from engine.imports.columns import labels

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def template(columns: tuple, fmt: str, lang: str) -> bytes:
    header = labels(columns, lang)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(header)
        return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM makes Excel read it as UTF-8
    if fmt == "xlsx":
        book = Workbook()
        book.active.append(header)
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    listed = ", ".join(FORMATS)
    raise InvalidInput(f"format must be one of {listed}",
                       [problem("format", f"one of {listed}", f"应为 {listed} 之一")])
