"""Reading an uploaded file into rows of text: CSV in UTF-8 (with or without BOM) or GB18030, or XLSX.

The file is recognised by its content, not its name. XLSX is read by openpyxl in read-only mode
(rows streamed, formulas come back as their text and are never evaluated). A file that is not
one of these is refused with a problem naming row 1.
"""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time

from openpyxl import load_workbook

from engine.errors import InvalidInput

MAX_BYTES = 20 * 1024 * 1024
ENCODINGS = ("utf-8", "gb18030")  # tried in this order; GB18030 is what Chinese spreadsheets export
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
# Characters that do not occur in a spreadsheet's text: seeing them means the guessed encoding was wrong.
CONTROL = {chr(c) for c in range(32)} - {"\t", "\r", "\n"}
GUARDED = ("'=", "'+", "'-", "'@")  # an export's apostrophe before text a spreadsheet would run as a formula


def problem(row: int | None, column: str | None, value, message: str, message_zh: str) -> dict:
    """One import problem, as the API answers it: rows numbered as a spreadsheet shows them (header = 1)."""
    return {"row": row, "column": column, "value": None if value is None else str(value)[:200],
            "message": message, "message_zh": message_zh}


def refuse(message: str, message_zh: str, row: int | None = 1, column: str | None = None, value=None):
    """Refuse the whole file: nothing is previewed."""
    raise InvalidInput(message, [problem(row, column, value, message, message_zh)])


def rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as stripped text) for each non-empty row, the header first."""
    if len(data) > MAX_BYTES:
        refuse(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB",
               f"文件超过 {MAX_BYTES // (1024 * 1024)} MB", row=None)
    if data.startswith(ZIP_MAGIC):
        found = _xlsx_rows(data)
    elif data.startswith(OLE_MAGIC):
        refuse("an old Excel .xls file: save it as .xlsx or CSV", "旧版 Excel .xls 文件：请另存为 .xlsx 或 CSV")
    else:
        found = _csv_rows(data)
    for number, cells in found:
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            yield number, cells


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding=encoding(data), newline=""))
    try:
        for cells in reader:
            yield reader.line_num, [_unguarded(cell.strip()) for cell in cells]
    except csv.Error as err:
        refuse(f"not a readable CSV file: {err}", f"无法读取的 CSV 文件：{err}", row=reader.line_num)


def _unguarded(cell: str) -> str:
    """The text behind an export's formula guard: "'+8613..." was written for "+8613..." (web/exports.py)."""
    return cell[1:] if cell.startswith(GUARDED) else cell


def encoding(data: bytes) -> str:
    """The text's encoding: UTF-8 (a BOM is dropped), else GB18030; anything else is refused."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if b"\x00" in data:
        refuse("not a CSV or XLSX file (binary content, or text in UTF-16)",
               "不是 CSV 或 XLSX 文件（二进制内容，或 UTF-16 编码的文本）")
    for name in ENCODINGS:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        if not CONTROL.intersection(text):
            return name
    refuse("the file is neither UTF-8 nor GB18030 text: save it as CSV UTF-8 or as XLSX",
           "文件既不是 UTF-8 也不是 GB18030 编码：请另存为 CSV UTF-8 或 XLSX")


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        refuse("not a CSV or XLSX file (a ZIP archive that is no workbook)",
               "不是 CSV 或 XLSX 文件（非工作簿的压缩包）")
    try:
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, [cell_text(value) for value in values]
    finally:
        book.close()


def cell_text(value) -> str:
    """A cell as the text a CSV would hold: whole numbers without ".0", dates as YYYY-MM-DD, formulas as written."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
