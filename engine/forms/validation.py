"""Task forms are JSON Schemas; a submitted form is checked against its task's schema before it runs.

Schemas carry their labels in both languages of the desk: ``title`` (English) and ``x-title-zh``
(Chinese) on the form and on every field, ``x-enum-labels`` ({"en": [...], "zh": [...]}) for the
choices of an ``enum``. Every error names its field by those labels, in English and in Chinese.
"""

from collections import deque

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from engine.errors import InvalidInput

NO_FIELDS = {"type": "object", "properties": {}, "additionalProperties": False}
TEXT_LIMIT = 4000  # characters of a free-text field whose schema sets no maxLength of its own

TYPE_NAMES = {"string": ("text", "文本"), "integer": ("a whole number", "整数"), "number": ("a number", "数字"),
              "boolean": ("yes or no", "是或否"), "array": ("a list", "列表"),
              "object": ("a group of fields", "一组字段")}


def _in_order(validator, pairs, instance, schema):
    """``x-order``: [[earlier, later], ...] on a form: each later value (a date, say) comes after the earlier one."""
    if not validator.is_type(instance, "object"):
        return
    for earlier, later in pairs:
        if earlier in instance and later in instance and str(instance[later]) <= str(instance[earlier]):
            yield ValidationError(f"{later} must come after {earlier}", path=deque([later]), validator_value=earlier)


FormValidator = validators.extend(Draft202012Validator, {"x-order": _in_order})


def validate(schema: dict | None, data: object) -> dict:
    """Return ``data`` if it fits ``schema``; otherwise raise InvalidInput naming every wrong field."""
    if not isinstance(data, dict):
        raise InvalidInput("form data must be a JSON object",
                           [{"field": None, "message": "not an object", "message_zh": "表单数据必须是 JSON 对象"}])
    schema = capped(schema or NO_FIELDS)
    checker = Draft202012Validator.FORMAT_CHECKER
    errors = sorted(FormValidator(schema, format_checker=checker).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        # an if/then rule can report the same missing field more than once: name each problem once
        details = list({(d["field"], d["message"]): d
                        for error in errors for d in _describe(error, data, schema)}.values())
        fields = ", ".join(str(d["field"]) for d in details)
        raise InvalidInput(f"the form has wrong or missing values: {fields}", details)
    return data


def capped(schema: dict) -> dict:
    """The schema with TEXT_LIMIT as the ``maxLength`` of every free-text field that sets none: a pasted log
    or a runaway paste cannot fill the ticket; a form that needs more says so per field."""
    properties = schema.get("properties", {})
    return {**schema, "properties": {name: capped_field(node) for name, node in properties.items()}}


def capped_field(node: dict) -> dict:
    if node.get("type") == "string" and "enum" not in node and "maxLength" not in node:
        return {**node, "maxLength": TEXT_LIMIT}
    return node


def label(schema: dict | None, field: str, lang: str = "en") -> str:
    """A field's label in ``lang`` ("en" or "zh..."), falling back to its English title, then its name."""
    spec = (schema or {}).get("properties", {}).get(field, {})
    english = spec.get("title", field)
    return spec.get("x-title-zh", english) if lang.startswith("zh") else english


def enum_labels(spec: dict, lang: str = "en") -> list[str]:
    """The labels of a field's choices in ``lang``, in the order of its ``enum``."""
    values = spec.get("enum", [])
    labels = spec.get("x-enum-labels", {}).get("zh" if lang.startswith("zh") else "en")
    return list(labels) if labels and len(labels) == len(values) else [str(v) for v in values]


def _describe(error: ValidationError, data: dict, schema: dict) -> list[dict]:
    """One detail per field; 'required' and 'additionalProperties' errors name their fields themselves."""
    if error.validator == "required" and not error.path:
        return [_detail(schema, name, "is required", "为必填项")
                for name in error.validator_value if name not in data]
    if error.validator == "additionalProperties" and not error.path:
        known = error.schema.get("properties", {})
        return [_detail(schema, name, "is not a field of this task's form", "不是此任务表单中的字段")
                for name in data if name not in known]
    field = ".".join(str(p) for p in error.path)
    english, chinese = _reason(error)
    return [_detail(schema, field, english, chinese)]


def _detail(schema: dict, field: str, english: str, chinese: str) -> dict:
    return {"field": field,
            "message": f"{label(schema, field)} {english}",
            "message_zh": f"“{label(schema, field, 'zh')}”{chinese}"}


def _reason(error: ValidationError) -> tuple[str, str]:
    """What is wrong with one value, in English and Chinese, by the JSON Schema keyword that failed."""
    rule, limit = error.validator, error.validator_value
    if rule == "x-order":
        return f"must come after {label(error.schema, limit)}", f"必须晚于“{label(error.schema, limit, 'zh')}”"
    if rule == "enum":
        en, zh = enum_labels(error.schema, "en"), enum_labels(error.schema, "zh")
        return f"must be one of: {', '.join(en)}", f"必须是以下之一：{'、'.join(zh)}"
    if rule == "type":
        names = [TYPE_NAMES.get(t, (t, t)) for t in (limit if isinstance(limit, list) else [limit])]
        return f"must be {' or '.join(n[0] for n in names)}", f"必须是{'或'.join(n[1] for n in names)}"
    simple = {
        "minLength": ("must not be empty" if limit == 1 else f"needs at least {limit} characters",
                      "不能为空" if limit == 1 else f"至少需要 {limit} 个字符"),
        "maxLength": (f"may have at most {limit} characters", f"最多 {limit} 个字符"),
        "minimum": (f"must be at least {limit}", f"不能小于 {limit}"),
        "maximum": (f"must be at most {limit}", f"不能大于 {limit}"),
        "exclusiveMinimum": (f"must be more than {limit}", f"必须大于 {limit}"),
        "exclusiveMaximum": (f"must be less than {limit}", f"必须小于 {limit}"),
        "pattern": ("is not in the expected format", "格式不正确"),
        "format": (f"must be a valid {limit}", f"必须是有效的 {limit}"),
        "minItems": (f"needs at least {limit} entries", f"至少需要 {limit} 项"),
        "maxItems": (f"may have at most {limit} entries", f"最多 {limit} 项"),
    }
    return simple.get(rule, (f"is not valid: {error.message}", "的值不正确"))
