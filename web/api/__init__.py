"""The REST API under /api/v1: bearer-token auth, JSON errors, OpenAPI 3.

The API takes only bearer tokens, never the session cookie, so a forged cross-site request
carries no credentials and needs no CSRF token.
"""

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from engine import error_texts
from engine.db import db
from engine.directory import users
from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from web import path_ids
from web.security import field_with_nul

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422}
PUBLIC = {"api.openapi"}


def error(status: int, code: str, message: str, details=None, message_zh: str | None = None):
    """The JSON error body: always ``message`` and ``message_zh`` (the status's sentence when none is given)."""
    body = {"code": code, "message": message, "message_zh": message_zh or error_texts.for_status(status)}
    if details is not None:
        body["details"] = details
    return jsonify(error=body), status


@blueprint.before_request
def authenticate():
    if request.endpoint in PUBLIC:
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    user = users.user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        return error(401, "unauthorized", "send a valid API token as 'Authorization: Bearer TOKEN'")
    g.actor = user
    return None


@blueprint.before_request
def refuse_nul_characters():
    """A query parameter, form field or file name with a NUL character: a 422 naming it (JSON bodies: json_body)."""
    field = field_with_nul() if request.endpoint not in PUBLIC else None
    if field is None:
        return None
    return error(422, InvalidInput.code, f"{field} contains a NUL character, which cannot be stored",
                 [{"field": field, "message": "contains a NUL character", "message_zh": "含有 NUL 字符"}],
                 message_zh=f"{field} 含有 NUL 字符，无法保存")


@blueprint.errorhandler(EngineError)
def engine_error(err: EngineError, status: int | None = None):
    """An engine refusal with its status; ``message_zh`` its own or said from its message (error_texts)."""
    status = status or next((s for cls, s in STATUS.items() if isinstance(err, cls)), 422)
    return error(status, err.code, err.message, err.details, error_texts.chinese(err))


@blueprint.errorhandler(HTTPException)  # before the catch-all below, for a 413 raised inside a view
@blueprint.app_errorhandler(HTTPException)
def http_error(err: HTTPException):
    """Routing errors (unknown path, wrong method, body too large) as JSON under /api, as HTML elsewhere."""
    if not request.path.startswith(blueprint.url_prefix):
        return err
    return error(err.code or 500, err.name.lower().replace(" ", "_"), err.description or err.name)


@blueprint.errorhandler(Exception)
def unexpected(err: Exception):
    if isinstance(err, HTTPException):  # this handler is found before the app's one: a 413 stays a 413
        return http_error(err)
    db.session.rollback()
    current_app.logger.exception("unhandled error in %s %s", request.method, request.path)
    return error(500, "internal_error", "an unexpected error occurred; it has been logged")


def json_body() -> dict:
    """The request's JSON object, or a 422 that says the body is not one or names the fields no database takes."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", [{"field": None, "message": "not JSON"}])
    problems = list(_unstorable(body, ""))
    if problems:
        raise InvalidInput(f"wrong fields: {', '.join(p['field'] for p in problems)}", problems)
    return body


def _unstorable(value, path: str):
    """Text with a NUL character (PostgreSQL refuses it) and ids (``id``, ``…_id``, ``…_ids``) beyond the id
    columns, anywhere in the body, each with its path (``data.description``, ``customer_ids.2``)."""
    if isinstance(value, str) and "\x00" in value:
        yield {"field": path, "message": "contains a NUL character"}
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield {"field": where, "message": "contains a NUL character"}
            if _is_id(key) and _too_large(item):
                yield {"field": where, "message": f"not an id (ids go up to {path_ids.LARGEST_ID})"}
            else:
                yield from _unstorable(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, f"{path}.{index}")


def _is_id(key) -> bool:
    return isinstance(key, str) and (key == "id" or key.endswith(("_id", "_ids")))


def _too_large(value) -> bool:
    items = value if isinstance(value, list) else [value]
    return any(isinstance(i, int) and not isinstance(i, bool) and abs(i) > path_ids.LARGEST_ID for i in items)


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} must be a whole number from {low} to {high}",
                           [{"field": name, "message": "out of range"}])
    return int(raw)


# The route modules register on import.
from web.api import (  # noqa: E402,F401
    announcements,
    churn,
    customers,
    directory,
    events,
    imports,
    notifications,
    openapi,
    process_models,
    reports,
    retention_plans,
    revisits,
    sla,
    tasks,
    tickets,
    versions,
)
