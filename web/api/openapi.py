"""GET /api/v1/openapi.json: the OpenAPI 3 description, built from the views' docstrings by apispec."""

import re
from functools import cache

from apispec import APISpec
from apispec.yaml_utils import load_operations_from_docstring
from flask import current_app

from web.api import blueprint

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "message_zh": {"type": "string", "description": "the message in Chinese, where the engine gives one"},
        "details": {"description": "per-field or per-element problems"}}}},
}
TASK = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "element_id": {"type": "string"},
    "role": {"type": "string"}, "assignee": {"type": "string", "nullable": True},
    "state": {"type": "string", "enum": ["open", "claimed", "completed", "cancelled"]},
    "priority": {"type": "string"}, "due_at": {"type": "string", "format": "date-time", "nullable": True},
    "form": {"type": "object", "nullable": True, "description": "JSON Schema of the task's form"}}}
TICKET = {"type": "object", "properties": {
    "id": {"type": "integer"}, "number": {"type": "string", "example": "R-2026-000042"},
    "channel": {"type": "string", "enum": ["green", "yellow", "red"]}, "title": {"type": "string"},
    "status": {"type": "string", "enum": ["open", "closed", "cancelled", "incident"]}, "priority": {"type": "string"},
    "tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
    "history": {"type": "array", "items": {"type": "object"}}}}
CUSTOMER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
    "kind": {"type": "string", "enum": ["group", "individual"]}, "tier": {"type": "string"},
    "member_card": {"type": "string", "nullable": True},
    "credit_level": {"type": "string", "enum": ["red", "grey", "black"]},
    "status": {"type": "string"}, "account_manager": {"type": "string", "nullable": True},
    "branch": {"type": "object", "nullable": True},
    "language": {"type": "string", "enum": ["zh_CN", "en"], "description": "of its notices; in a full record"},
    "no_sms": {"type": "boolean", "description": "the customer wants no SMS notices; in a full record"},
    "contacts": {"type": "array", "items": {"type": "object"}, "description": "in a full record"},
    "contracts": {"type": "array", "items": {"type": "object"}, "description": "in a full record, with expiry"}}}
IMPORT_SUMMARY = {"type": "object", "properties": {
    "new": {"type": "integer"}, "changed": {"type": "integer"}, "unchanged": {"type": "integer"}}}
IMPORT_PREVIEW = {"type": "object", "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string"}, "file_name": {"type": "string"},
    "summary": {"$ref": "#/components/schemas/ImportSummary"},
    "problems": {"type": "array", "items": {"type": "object", "properties": {
        "row": {"type": "integer", "nullable": True, "description": "as a spreadsheet numbers it: the header is 1"},
        "column": {"type": "string", "nullable": True}, "value": {"type": "string", "nullable": True},
        "message": {"type": "string"}, "message_zh": {"type": "string"}}}}}}

USER_FIELDS = {"type": "object", "properties": {
    "display_name": {"type": "string"}, "email": {"type": "string", "nullable": True},
    "phone": {"type": "string", "nullable": True},
    "branch": {"type": "string", "nullable": True, "description": "a branch code"},
    "roles": {"type": "array", "items": {"type": "string"}}, "locale": {"type": "string", "enum": ["en", "zh_CN"]}}}


# Statuses any operation may answer, documented once: status -> (component name, when)
SHARED_ERRORS = {
    "401": ("Unauthorized", "no valid bearer token"),
    "403": ("Forbidden", "the caller's role, branch or involvement does not allow it"),
    "404": ("NotFound", "no such record (or outside the caller's branches), or an id beyond the id columns"),
    "422": ("InvalidInput", "a parameter or body field is wrong; details name each one"),
}
# ... and those of operations that take a body and change something
SHARED_WRITE_ERRORS = {
    "409": ("Conflict", "the record is not in a state that allows it, or someone else changed it at the same moment"),
    "413": ("TooLarge", "the body is over 16 MB"),
}


def _with_shared_errors(operations: dict) -> dict:
    """Each operation's own responses plus the shared error statuses it may answer."""
    for method, operation in operations.items():
        shared = {**SHARED_ERRORS, **(SHARED_WRITE_ERRORS if method in ("post", "put", "patch", "delete") else {})}
        responses = operation["responses"] = {str(status): r for status, r in operation.get("responses", {}).items()}
        for status, (name, _description) in shared.items():
            responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    return operations


@cache
def _spec_for(app_name: str) -> dict:
    spec = APISpec(title="KeyDesk API", version="1", openapi_version="3.0.3",
                   info={"description": "Tickets, tasks and process models of the KeyDesk service desk."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    spec.components.schema("Task", TASK)
    spec.components.schema("Ticket", TICKET)
    spec.components.schema("Customer", CUSTOMER)
    spec.components.schema("ImportSummary", IMPORT_SUMMARY)
    spec.components.schema("ImportPreview", IMPORT_PREVIEW)
    spec.components.schema("UserFields", USER_FIELDS)
    error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    spec.components.response("Error", {"description": "an error", "content": error_body})
    for name, description in [*SHARED_ERRORS.values(), *SHARED_WRITE_ERRORS.values()]:
        spec.components.response(name, {"description": description, "content": error_body})
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint == "api.openapi":
            continue
        view = current_app.view_functions[rule.endpoint]
        operations = _with_shared_errors(load_operations_from_docstring(view.__doc__ or ""))
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(rule).removeprefix(blueprint.url_prefix))
        spec.path(path=path, operations=operations)
    body = spec.to_dict()
    body["security"] = [{"bearer": []}]
    body["servers"] = [{"url": blueprint.url_prefix}]
    return body


@blueprint.get("/openapi.json")
def openapi():
    return _spec_for(current_app.name)
