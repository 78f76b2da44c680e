"""Task forms are JSON Schemas; a submitted form is checked against its task's schema before it runs."""

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import InvalidInput

NO_FIELDS = {"type": "object", "properties": {}, "additionalProperties": False}


def validate(schema: dict | None, data: object) -> dict:
    """Return ``data`` if it fits ``schema``; otherwise raise InvalidInput naming every wrong field."""
    if not isinstance(data, dict):
        raise InvalidInput("form data must be a JSON object", [{"field": None, "message": "not an object"}])
    errors = sorted(Draft202012Validator(schema or NO_FIELDS).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        details = [item for error in errors for item in _describe(error, data)]
        fields = ", ".join(str(d["field"]) for d in details)
        raise InvalidInput(f"the form has wrong or missing values: {fields}", details)
    return data


def _describe(error: ValidationError, data: dict) -> list[dict]:
    """One detail per field; 'required' and 'additionalProperties' errors name their fields themselves."""
    if error.validator == "required" and not error.path:
        return [{"field": name, "message": "this field is required"}
                for name in error.validator_value if name not in data]
    if error.validator == "additionalProperties" and not error.path:
        known = error.schema.get("properties", {})
        return [{"field": name, "message": "this task's form has no such field"}
                for name in data if name not in known]
    field = ".".join(str(p) for p in error.path)
    return [{"field": field, "message": error.message}]
