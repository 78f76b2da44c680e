"""An HTML form from a task's JSON Schema, and the submitted strings back into typed values.

The widget comes from ``x-widget`` when the schema gives one, otherwise from the field's type.
Values that cannot even be converted (letters in a number field) are reported here, next to the
field; everything else is left to the engine's schema validation, whose messages name the field.
"""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.forms.validation import capped_field
from web.i18n import enum_label, is_zh, label

WIDGETS = ("text", "textarea", "select", "radio", "checkbox", "number", "date", "datetime", "customer", "user")


@dataclass
class Field:
    name: str
    label: str
    widget: str
    required: bool
    value: object = None
    description: str = ""
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""
    step: str = "any"
    multiple: bool = False  # several of the options may be chosen
    max_length: int | None = None  # a free-text field's limit, checked again by the engine

    def checked(self, option: str) -> bool:
        if isinstance(self.value, list):  # several of a list
            return option in [_text(v) for v in self.value]
        return self.value is not None and _text(self.value) == option


def fields(schema: dict | None, values: dict, errors: dict[str, str]) -> list[Field]:
    schema = schema or {}
    required = set(schema.get("required", []))
    return [_field(name, node, name in required, values.get(name), errors.get(name, ""))
            for name, node in schema.get("properties", {}).items()]


def _field(name: str, node: dict, required: bool, value, error: str) -> Field:
    widget = widget_of(node)
    source = node["items"] if _choices(node) else node  # a multiple choice lists its options on its items
    options = [(_text(v), enum_label(source, v)) for v in source.get("enum", [])]
    if node.get("type") == "boolean" and not options:
        options = [("true", _("Yes")), ("false", _("No"))]
    description = (node.get("x-description-zh") if is_zh() else None) or node.get("description", "")
    return Field(name=name, label=label(node, name), widget=widget, required=required, value=value,
                 description=description or "", options=options, error=error,
                 step="1" if node.get("type") == "integer" else "any", multiple=bool(_choices(node)),
                 max_length=capped_field(node).get("maxLength"))


def widget_of(node: dict) -> str:
    if node.get("x-widget") in WIDGETS:
        return node["x-widget"]
    if "enum" in node:
        return "select"
    if node.get("type") == "boolean":
        return "radio"
    if node.get("type") in ("integer", "number"):
        return "number"
    return {"date": "date", "date-time": "datetime"}.get(node.get("format", ""), "text")


def parse(schema: dict | None, form: MultiDict) -> tuple[dict, dict[str, str]]:
    """The submitted values, typed as the schema says, and a message per field that could not be read."""
    data, errors = {}, {}
    for name, node in (schema or {}).get("properties", {}).items():
        if _choices(node):
            data[name] = form.getlist(name)
            continue
        if widget_of(node) == "checkbox":
            data[name] = name in form
            continue
        raw = form.get(name, "").strip()
        if raw == "":
            continue
        try:
            data[name] = _convert(node, raw)
        except ValueError as err:
            errors[name] = str(err)
            data[name] = raw
    return data, errors


def _convert(node: dict, raw: str):
    kind = node.get("type")
    if kind == "integer":
        if not raw.lstrip("-").isdigit():
            raise ValueError(_("Enter a whole number."))
        return int(raw)
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(_("Enter a number.")) from None
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise ValueError(_("Choose yes or no."))
        return raw == "true"
    if widget_of(node) == "datetime":
        try:
            local = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(_("Enter a date and time.")) from None
        zone = ZoneInfo(str(get_timezone()))
        return local.replace(tzinfo=local.tzinfo or zone).astimezone(ZoneInfo("UTC")).isoformat()
    return raw


def _choices(node: dict) -> list:
    """The options of a field that takes several of a list (an array of an enum), else []."""
    return node.get("items", {}).get("enum", []) if node.get("type") == "array" else []


def engine_errors(details: list | dict | None) -> dict[str, str]:
    """The engine's per-field validation details as {field: message} in the user's language."""
    found = {}
    for item in details if isinstance(details, list) else []:
        name = str(item.get("field") or "")
        text = item.get("message_zh") if is_zh() and item.get("message_zh") else item.get("message", "")
        found.setdefault(name, text)
    return found


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
