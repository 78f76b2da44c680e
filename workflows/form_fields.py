"""Builders for bilingual form schemas, so that each process module states only its fields and rules.

Each builder returns plain JSON Schema (draft 2020-12) with KeyDesk's label conventions: ``title`` and
``x-title-zh`` on the form and on every field, ``x-enum-labels`` for choices, ``x-widget`` as a hint.
"""


def field(kind: str, en: str, zh: str, widget: str | None = None, **rules) -> dict:
    """One field: its JSON type, English and Chinese labels, an optional widget hint and JSON Schema rules."""
    spec = {"type": kind, "title": en, "x-title-zh": zh, **rules}
    if widget:
        spec["x-widget"] = widget
    return spec


def text(en: str, zh: str, long: bool = False) -> dict:
    return field("string", en, zh, "textarea" if long else "text", minLength=1)


def day(en: str, zh: str) -> dict:
    return field("string", en, zh, "date", format="date")


def flag(en: str, zh: str) -> dict:
    return field("boolean", en, zh, "checkbox")


def choice(en: str, zh: str, options: list[tuple[str, str, str]], widget: str = "select") -> dict:
    """A single choice; ``options`` are (value, English label, Chinese label)."""
    return field("string", en, zh, widget, enum=[o[0] for o in options],
                 **{"x-enum-labels": {"en": [o[1] for o in options], "zh": [o[2] for o in options]}})


def choices(en: str, zh: str, options: list[tuple[str, str, str]]) -> dict:
    """Several of a list (at least one, each once); ``options`` as for ``choice``."""
    item = choice(en, zh, options)
    return field("array", en, zh, "checkbox", minItems=1, uniqueItems=True,
                 items={key: item[key] for key in ("type", "enum", "x-enum-labels")},
                 **{"x-enum-labels": item["x-enum-labels"]})


def required_when(name: str, value, *needed: str) -> dict:
    """A rule: when field ``name`` holds ``value``, the ``needed`` fields must be filled in too."""
    return {"if": {"properties": {name: {"const": value}}, "required": [name]}, "then": {"required": list(needed)}}


def form(en: str, zh: str, properties: dict, required: list[str], rules: list[dict] = (),
         order: list[tuple[str, str]] = ()) -> dict:
    """A form; ``order`` lists (earlier, later) fields whose later value must come after the earlier one."""
    schema = {"type": "object", "title": en, "x-title-zh": zh, "properties": properties,
              "required": required, "additionalProperties": False}
    if rules:
        schema["allOf"] = list(rules)
    if order:
        schema["x-order"] = [list(pair) for pair in order]
    return schema


def optional(spec: dict) -> dict:
    """The same field, allowed empty (a text without ``minLength``)."""
    return {key: value for key, value in spec.items() if key != "minLength"}


def amount(en: str, zh: str, positive: bool = False) -> dict:
    """Yuan: zero or more, or more than zero when ``positive``."""
    return field("number", en, zh, "number", **({"exclusiveMinimum": 0} if positive else {"minimum": 0}))


def grade(en: str, zh: str, options: list[tuple[int, str, str]], widget: str = "radio") -> dict:
    """A choice among whole numbers (a 1–5 satisfaction score); ``options`` as for ``choice``."""
    return {**choice(en, zh, options, widget), "type": "integer"}
