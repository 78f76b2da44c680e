"""Field converters for the records staff edit by hand (customers, contacts, contracts).

Each converter turns a submitted value into the column value or raises Wrong saying what is wrong,
in English and Chinese; ``checked`` runs a whole change through them and names every bad field at once.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from engine.errors import InvalidInput

Converter = Callable[[object], object]


class Wrong(ValueError):
    """A value a converter refuses, with the reason in English and Chinese."""

    def __init__(self, message: str, message_zh: str):
        super().__init__(message)
        self.message_zh = message_zh


def problem(field: str | None, message: str, message_zh: str) -> dict:
    """One entry of an InvalidInput's details, in the shape the web pages show next to the field."""
    return {"field": field, "message": message, "message_zh": message_zh}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9][0-9 -]{2,30}$")


def checked(spec: dict[str, Converter], changes: object, what: str) -> dict:
    """The changes converted to column values; raises InvalidInput naming every bad field at once."""
    if not isinstance(changes, dict) or not changes:
        raise InvalidInput("nothing to change", [problem(None, "give at least one field", "没有要修改的字段")])
    values, problems = {}, []
    for field, value in changes.items():
        try:
            if field not in spec:
                raise Wrong("not a field that can be changed", "该字段不可修改")
            values[field] = spec[field](value)
        except Wrong as err:
            problems.append(problem(field, str(err), err.message_zh))
    if problems:
        raise InvalidInput(f"the {what} has wrong values: " + ", ".join(str(p["field"]) for p in problems), problems)
    return values


def complete(body: object, spec: dict[str, Converter]) -> object:
    """A new record's body with every field of ``spec`` present (None when missing), so ``checked`` names a
    missing field like a wrong one; anything but a dict is left for ``checked`` to refuse."""
    return {field: None for field in spec} | body if isinstance(body, dict) else body


def choice(options: tuple) -> Converter:
    def convert(value):
        if value not in options:
            listed = ", ".join(str(o) for o in options)
            raise Wrong(f"must be one of {listed}", f"必须是以下之一：{listed}")
        return value
    return convert


def text(required: bool = False, limit: int = 256) -> Converter:
    def convert(value):
        if not isinstance(value, str) or (required and not value.strip()):
            raise Wrong("must be text" + (" and not empty" if required else ""), "必填" if required else "必须是文字")
        if len(value.strip()) > limit:
            raise Wrong(f"must be at most {limit} characters", f"最多 {limit} 个字符")
        return value.strip()
    return convert


def optional(pattern: re.Pattern, what: str, what_zh: str) -> Converter:
    """Text matching ``pattern``, or None for an empty value."""
    def convert(value):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or not pattern.match(value.strip()):
            raise Wrong(f"must be {what}", f"必须是{what_zh}")
        return value.strip()
    return convert


phone = optional(PHONE, "a phone number (digits, spaces, dashes, an optional leading +)",
                 "电话号码（数字、空格、短横线，可以 + 开头）")
email = optional(EMAIL, "an email address", "电子邮件地址")


def amount(value) -> Decimal:
    wrong = Wrong("must be an amount in yuan", "必须是以元为单位的金额")
    if isinstance(value, bool):
        raise wrong
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise wrong from None
    if not number.is_finite() or number < 0:
        raise Wrong("must be an amount of zero or more", "金额不能为负数")
    return number.quantize(Decimal("0.01"))


def optional_amount(value) -> Decimal | None:
    return None if value in (None, "") else amount(value)


def whole(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise Wrong("must be a whole number of zero or more", "必须是不小于零的整数")
    return value


def flag(value) -> bool:
    if not isinstance(value, bool):
        raise Wrong("must be true or false", "必须是“是”或“否”")
    return value


def day(value) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise Wrong("must be a date as YYYY-MM-DD", "必须是 YYYY-MM-DD 格式的日期") from None


def optional_day(value) -> date | None:
    return None if value in (None, "") else day(value)
