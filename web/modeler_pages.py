"""The modeller page: supervisors draw, validate, deploy, compare and roll back process versions in the browser.

The page talks JSON to the routes below with its session and CSRF token (the REST API takes only bearer
tokens). Every route calls the same engine functions as the API, which check the role again.
"""


from flask import jsonify, render_template, request
from flask_babel import force_locale
from flask_login import current_user
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import select

import workflows
from engine import deployments, migration, versions
from engine.db import db
from engine.directory import roles
from engine.errors import EngineError, InvalidInput
from engine.forms import choices
from engine.models import CHANNELS, CalendarRecord
from web import schema_form
from web.api import serialize as out
from web.api.process_models import bundle_from_request
from web.i18n import error_text, is_zh, label, term, when
from web.modeler_text import TEXT
from web.security import STATUS, role_required, staff_blueprint

blueprint = staff_blueprint("modeler", __name__, url_prefix="/modeler")
EDITORS = ("supervisor", "admin")


@blueprint.errorhandler(EngineError)
def _error(err: EngineError):
    """JSON for the page's calls, the error page for the page itself."""
    status = next((s for cls, s in STATUS.items() if isinstance(err, cls)), 422)
    if request.endpoint == "modeler.page":
        return render_template("error.html", status=status, message=error_text(err)), status
    return jsonify(error={"code": err.code, "message": error_text(err), "details": err.details}), status


@blueprint.app_template_global("modeler_label")
def modeler_label() -> str:
    """The modeller's name in the navigation bar, in the user's language."""
    return TEXT["zh" if is_zh() else "en"]["title"]


@blueprint.get("")
@role_required(*EDITORS)
def page():
    text = TEXT["zh" if is_zh() else "en"]
    return render_template("modeler/index.html", text=text, config=_config(text))


def _config(text: dict) -> dict:
    """What the properties panel offers: roles for lanes, forms, calendars, notification operations."""
    calendars = ["24x7", *db.session.scalars(select(CalendarRecord.name).order_by(CalendarRecord.name))]
    return {
        "lang": "zh" if is_zh() else "en",
        "text": text,
        "roles": [{"value": role.key, "label": f"{role.name_zh if is_zh() else role.name} ({role.key})"}
                  for role in roles.listing() if role.active],
        "channels": [{"value": channel, "label": f"{term(channel)} ({channel})"} for channel in CHANNELS],
        "forms": [{"value": key, "label": f"{label(schema, key)} ({key})"}
                  for key, schema in sorted(deployments.current_forms().items())],
        "calendars": list(dict.fromkeys(calendars)),
        "operations": [{"value": name, "parameters": workflows.PARAMETERS.get(name, [])}
                       for name in sorted(workflows.HANDLERS)],
    }


@blueprint.get("/models")
@role_required(*EDITORS)
def models():
    """The API's listing, each version also with its deployment time as the user reads times (zone and format)."""
    listed = []
    for found in deployments.models():
        body = out.model(found)
        for shown, version in zip(body["versions"], found.versions, strict=True):
            shown["shown_at"] = when(version.deployed_at)
        listed.append(body)
    return {"models": listed}


@blueprint.get("/models/<key>/versions/<int:number>")
@role_required(*EDITORS)
def version(key: str, number: int):
    """One version with its whole bundle, to open the diagram, each decision table and each form."""
    found = versions.get_version(current_user, key, number)
    return {**out.version(found), "xml": found.bpmn_xml, "dmn": found.dmn_xml, "forms": found.forms}


@blueprint.post("/validate")
@role_required(*EDITORS)
def validate():
    """Check the bundle (multipart, as the API takes it: file, dmn, form) as deploy would."""
    problems = bundle_from_request().check()
    return {"valid": not problems, "problems": [p.to_dict() for p in problems]}


@blueprint.post("/deploy")
@role_required(*EDITORS)
def deploy():
    deployed = bundle_from_request().deploy(current_user)
    return {"deployed": [out.version(v) for v in deployed]}, 201


@blueprint.post("/form-preview")
@role_required(*EDITORS)
def form_preview():
    """A form as the task page will show it, in English and in Chinese, drawn by the task page's own template."""
    schema = (request.get_json(silent=True) or {}).get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties", {}), dict) or not all(
            isinstance(node, dict) for node in schema.get("properties", {}).values()):
        raise InvalidInput("send the form as {\"schema\": {\"properties\": {...}}}",
                           [{"field": "schema", "message": "a JSON Schema object with properties",
                             "message_zh": "须为带 properties 的 JSON Schema 对象"}])
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(part) for part in err.path)
        raise InvalidInput(f"the form is not a valid JSON Schema at {where or 'its top'}: {err.message}",
                           [{"field": "schema", "message": f"{where}: {err.message}",
                             "message_zh": f"不是有效的 JSON Schema（{where}）：{err.message}"}]) from err
    return {lang: _preview(schema, locale) for lang, locale in (("en", "en"), ("zh", "zh_CN"))}


def _preview(schema: dict, locale: str) -> str:
    """A field that reads its choices from the desk's data (x-choices) shows the company's entries."""
    schema = choices.resolved(schema, None)
    with force_locale(locale):
        return render_template("tasks/_fields.html", schema=schema, fields=schema_form.fields(schema, {}, {}))


@blueprint.get("/models/<key>/diff")
@role_required(*EDITORS)
def diff(key: str):
    old, new = request.args.get("from", type=int), request.args.get("to", type=int)
    if old is None or new is None:
        raise InvalidInput("pick two versions", [{"field": "from", "message": "required"}])
    return versions.diff(current_user, key, old, new)


@blueprint.post("/models/<key>/versions/<int:number>/rollback")
@role_required(*EDITORS)
def rollback(key: str, number: int):
    comment = (request.get_json(silent=True) or {}).get("comment", "")
    return out.version(versions.rollback(current_user, key, number, comment if isinstance(comment, str) else "")), 201


@blueprint.post("/models/<key>/versions/<int:number>/migration/<any(check, run):step>")
@role_required(*EDITORS)
def migrate(key: str, number: int, step: str):
    """Check (dry run) or move the open tickets of a version to another one."""
    body = request.get_json(silent=True) or {}
    target = body.get("to") if isinstance(body, dict) else None
    if not isinstance(target, int):
        raise InvalidInput("say which version to move to", [{"field": "to", "message": "required, a number"}])
    run = migration.check if step == "check" else migration.migrate
    return run(current_user, key, number, target, mapping=body.get("mapping") or None)


@blueprint.get("/models/<key>/versions/<int:number>/heatmap")
@role_required(*EDITORS)
def heatmap(key: str, number: int):
    return versions.heatmap(current_user, key, number)
