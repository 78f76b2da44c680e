"""Builders for bilingual form fields, so that a process's FORMS read as the form, not as JSON Schema boilerplate.

Each returns plain JSON Schema with the desk's conventions: ``title`` / ``x-title-zh`` labels,
``x-enum-labels`` for choices in the order of ``enum``, an ``x-widget`` hint.
"""


def text(en: str, zh: str, long: bool = False, required: bool = True) -> dict:
    """Free text; a required one may not be empty."""
    field = {"type": "string", "title": en, "x-title-zh": zh, "x-widget": "textarea" if long else "text"}
    return {**field, "minLength": 1} if required else field


def yes_no(en: str, zh: str) -> dict:
    return {"type": "boolean", "title": en, "x-title-zh": zh, "x-widget": "radio"}


def day(en: str, zh: str) -> dict:
    return {"type": "string", "format": "date", "title": en, "x-title-zh": zh, "x-widget": "date"}


def amount(en: str, zh: str, positive: bool = False) -> dict:
    """Yuan; zero allowed unless ``positive``."""
    bound = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    return {"type": "number", "title": en, "x-title-zh": zh, "x-widget": "number", **bound}


def choice(en: str, zh: str, options: list[tuple], widget: str = "select") -> dict:
    """``options``: (value, English label, Chinese label); integer values make an integer field."""
    values = [value for value, _, _ in options]
    kind = "integer" if all(isinstance(v, int) for v in values) else "string"
    return {"type": kind, "title": en, "x-title-zh": zh, "enum": values, "x-widget": widget,
            "x-enum-labels": {"en": [o[1] for o in options], "zh": [o[2] for o in options]}}


def form(en: str, zh: str, properties: dict, required: list[str]) -> dict:
    return {"type": "object", "title": en, "x-title-zh": zh, "properties": properties, "required": required,
            "additionalProperties": False}
