"""A kind's columns and the mapping of a file's header row onto them, by API field name or Chinese label."""

from dataclasses import dataclass

from engine.errors import InvalidInput
from engine.imports.files import problem


@dataclass(frozen=True)
class Column:
    key: str  # the API's field name, also the English header
    label_zh: str  # the header a Chinese spreadsheet uses
    required: bool = False  # the header must have it, and each row a value in it


def mapping(header: list[str], columns: tuple[Column, ...]) -> list[str]:
    """The column key of each header cell; refuses (naming the cell) an unknown, repeated or missing column."""
    by_name = {name.casefold(): column.key for column in columns for name in (column.key, column.label_zh)}
    keys, problems = [], []
    for index, name in enumerate(header, start=1):
        key = by_name.get(name.casefold())
        if key is None:
            known = ", ".join(c.key for c in columns)
            problems.append(problem(1, name, name, f"column {index} is not one of {known}",
                                    f"第 {index} 列不是以下之一：{known}"))
        elif key in keys:
            problems.append(problem(1, key, name, f"column {key} appears twice", f"列 {key} 重复出现"))
        keys.append(key)
    for column in columns:
        if column.required and column.key not in keys:
            problems.append(problem(1, column.key, None, f"required column {column.key} is missing",
                                    f"缺少必需的列 {column.key}（{column.label_zh}）"))
    if problems:
        raise InvalidInput("the header row is wrong: " + "; ".join(p["message"] for p in problems), problems)
    return keys


def labels(columns: tuple[Column, ...], lang: str) -> list[str]:
    """The template's header row: field names in English, Chinese labels in Chinese."""
    return [column.label_zh if lang == "zh" else column.key for column in columns]
