"""Field converters for the records staff edit by hand (customers, contacts, contracts).

Each converter turns a submitted value into the column value or raises ValueError saying what is
wrong; ``checked`` runs a whole change through them and names every bad field at once.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from engine.errors import InvalidInput

Converter = Callable[[object], object]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,30}$")


def checked(spec: dict[str, Converter], changes: object, what: str) -> dict:
    """The changes converted to column values; raises InvalidInput naming every bad field at once."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("nothing to change", [{"field": None, "message": "give at least one field"}])
    values, problems = {}, []
    for field, value in changes.items():
        try:
            if field not in spec:
                raise ValueError("not a field that can be changed")
            values[field] = spec[field](value)
        except ValueError as err:
            problems.append({"field": field, "message": str(err)})
    if problems:
        raise InvalidInput(f"the {what} has wrong values: " + ", ".join(str(p["field"]) for p in problems), problems)
    return values


def choice(options: tuple) -> Converter:
    def convert(value):
        if value not in options:
            raise ValueError("must be one of " + ", ".join(str(o) for o in options))
        return value
    return convert


def text(required: bool = False, limit: int = 256) -> Converter:
    def convert(value):
        if not isinstance(value, str) or (required and not value.strip()):
            raise ValueError("must be text" + (" and not empty" if required else ""))
        if len(value.strip()) > limit:
            raise ValueError(f"must be at most {limit} characters")
        return value.strip()
    return convert


def optional(pattern: re.Pattern, what: str) -> Converter:
    """Text matching ``pattern``, or None for an empty value."""
    def convert(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise ValueError(f"must be {what}")
        return value.strip()
    return convert


phone = optional(PHONE, "a phone number (digits, spaces, dashes, an optional leading +)")
email = optional(EMAIL, "an email address")


def amount(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("must be an amount in yuan")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError("must be an amount in yuan") from None
    if not number.is_finite() or number < 0:
        raise ValueError("must be an amount of zero or more")
    return number.quantize(Decimal("0.01"))


def optional_amount(value) -> Decimal | None:
    return None if value in (None, "") else amount(value)


def whole(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("must be a whole number of zero or more")
    return value


def flag(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def day(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValueError("must be a date as YYYY-MM-DD") from None


def optional_day(value) -> date | None:
    return None if value in (None, "") else day(value)
