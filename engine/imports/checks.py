"""Checking one row's cells with the engine's field converters, collecting every problem of the row."""

from engine import fields

ABSENT = object()


class Row:
    """A row being checked: ``clean`` holds its values as text (JSON for the preview), ``problems`` what is wrong."""

    def __init__(self, values: dict[str, str]):
        self.values = values
        self.clean: dict[str, str | None] = {}
        self.problems: list[tuple] = []  # (column, value, message, message_zh)

    def take(self, key: str, convert, empty=ABSENT):
        """Column ``key`` converted, or None when the file has no such column; an empty cell gives ``empty`` if set."""
        if key not in self.values:
            return None
        raw = self.values[key]
        if raw == "" and empty is not ABSENT:
            value = empty
        else:
            try:
                value = convert(raw)
            except fields.Wrong as err:
                self.fail(key, raw, str(err), err.message_zh)
                return None
        self.clean[key] = None if value is None else str(value)
        return value

    def fail(self, column: str, value, message: str, message_zh: str) -> None:
        self.problems.append((column, value, message, message_zh))


def changed(clean: dict, state: dict) -> dict:
    """The fields whose value in the file differs from the record's: field -> (old, new)."""
    return {key: (state.get(key), new) for key, new in clean.items() if state.get(key) != new}


def cells(columns: tuple, state: dict) -> list:
    """A record as an export row: its state's value under each column."""
    return [state.get(column.key) for column in columns]

def code(limit: int):
    """A record's key: required text without spaces around it."""
    return fields.text(required=True, limit=limit)
