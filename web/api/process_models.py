"""Process models: list, deploy a new version, validate without deploying."""

from dataclasses import dataclass

from flask import g, request

from engine import deployments
from engine.directory import permissions
from engine.errors import InvalidInput
from engine.forms import files as form_files
from web.api import blueprint
from web.api import serialize as out

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


@dataclass(frozen=True)
class Bundle:
    """What a deploy or validate request sends: the BPMN, its decision tables and forms, the file names that locate
    problems, and the deploy comment."""

    bpmn: bytes
    dmn: list[bytes]
    forms: dict[str, dict]
    bpmn_name: str
    dmn_names: list[str]
    comment: str
    form_texts: dict[str, str]

    def check(self) -> list:
        return deployments.validate(self.bpmn, self.dmn, self.forms, self.bpmn_name, self.dmn_names, self.form_texts)

    def deploy(self, actor) -> list:
        return deployments.deploy(actor, self.bpmn, self.dmn, _required_comment(self.comment), self.forms,
                                  self.bpmn_name, self.dmn_names, self.form_texts)


def bundle_from_request() -> Bundle:
    """The bundle from a raw XML body or a multipart upload (forms by key, from each file's name)."""
    if request.mimetype in XML_TYPES:
        return Bundle(request.get_data(), [], {}, "diagram.bpmn", [], request.args.get("comment", ""), {})
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("send the BPMN as an XML body or as a multipart file field 'file'",
                           [{"field": "file", "message": "required", "message_zh": "必须上传 BPMN 文件（字段 file）"}])
    tables = request.files.getlist("dmn")
    forms, texts = form_files.read_bundle([(f.filename or "", f.read()) for f in request.files.getlist("form")])
    return Bundle(upload.read(), [f.read() for f in tables], forms, upload.filename or "diagram.bpmn",
                  [f.filename or f"decision table {n + 1}" for n, f in enumerate(tables)],
                  request.form.get("comment", request.args.get("comment", "")), texts)


def _required_comment(comment: str) -> str:
    """A version says why it was deployed: the versions view and the audit show it."""
    if not comment.strip():
        raise InvalidInput("a deployment needs a comment saying what changed",
                           [{"field": "comment", "message": "say what this version changes",
                             "message_zh": "部署必须填写说明，写明此版本改了什么"}])
    return comment.strip()


@blueprint.get("/process-models")
def list_models():
    """List deployed process models and their versions.
    ---
    get:
      tags: [process models]
      responses:
        200: {description: the models, content: {application/json: {schema: {type: object}}}}
    """
    return {"process_models": [out.model(m) for m in deployments.models()]}


@blueprint.post("/process-models")
def deploy():
    """Deploy a BPMN diagram: each executable process becomes the next version of its model.
    ---
    post:
      tags: [process models]
      description: Supervisors and admins only. An invalid bundle changes nothing and returns every problem, each
        naming its file; a deployment without a comment is refused (422, field comment).
      parameters:
        - {in: query, name: comment, schema: {type: string}}
      requestBody:
        content:
          application/xml: {schema: {type: string}}
          multipart/form-data:
            schema:
              type: object
              properties:
                file: {type: string, format: binary}
                dmn: {type: array, items: {type: string, format: binary}}
                form:
                  type: array
                  items: {type: string, format: binary}
                  description: "<form key>.form.json files: JSON Schema with KeyDesk's x- extensions"
                comment: {type: string}
      responses:
        201: {description: deployed versions}
    """
    permissions.require(g.actor, "deploy")
    versions = bundle_from_request().deploy(g.actor)
    return {"deployed": [out.version(v) for v in versions]}, 201


@blueprint.post("/process-models/validate")
def validate():
    """Check a bundle as deploy would, without deploying it (supervisors and admins).
    ---
    post:
      tags: [process models]
      requestBody:
        content:
          application/xml: {schema: {type: string}}
          multipart/form-data:
            schema:
              type: object
              properties:
                file: {type: string, format: binary}
                dmn: {type: array, items: {type: string, format: binary}}
                form: {type: array, items: {type: string, format: binary}}
      responses:
        200:
          description: "valid: true, or the problems as {element_id, message, line, hint, file} (and _zh)"
    """
    permissions.require(g.actor, "deploy")
    problems = bundle_from_request().check()
    return {"valid": not problems, "problems": [p.to_dict() for p in problems]}
