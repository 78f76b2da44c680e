"""Process models: list, deploy a new version, validate without deploying."""

from dataclasses import dataclass

from flask import g, request

from engine import deployments
from engine.bundles.contents import Bundle, File, unnamed
from engine.directory import permissions
from engine.errors import InvalidInput
from engine.forms import files as form_files
from web.api import blueprint
from web.api import serialize as out

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


@dataclass(frozen=True)
class Sent:
    """What a deploy or validate request sends: the bundle (BPMN files, their decision tables and forms) and the
    deploy comment."""

    bundle: Bundle
    comment: str

    def check(self) -> list:
        return deployments.check(self.bundle)

    def deploy(self, actor) -> list:
        return deployments.deploy_bundle(actor, self.bundle, _required_comment(self.comment))


def bundle_from_request() -> Sent:
    """The bundle from a raw XML body (one diagram) or a multipart upload: ``file`` (BPMN), ``dmn`` and ``form``,
    each repeatable (a form's key from its file's name)."""
    if request.mimetype in XML_TYPES:
        return Sent(Bundle.of_one(request.get_data()), request.args.get("comment", ""))
    uploads = request.files.getlist("file")
    if not uploads:
        raise InvalidInput("send the BPMN as an XML body or as multipart file fields 'file'",
                           [{"field": "file", "message": "required", "message_zh": "必须上传 BPMN 文件（字段 file）"}])
    forms, texts = form_files.read_bundle([(f.filename or "", f.read()) for f in request.files.getlist("form")])
    return Sent(Bundle(_files(uploads, "diagram"), _files(request.files.getlist("dmn"), "table"), forms, texts),
                request.form.get("comment", request.args.get("comment", "")))


def _files(uploads: list, kind: str) -> list[File]:
    return [File(f.filename or unnamed(kind, n), f.read()) for n, f in enumerate(uploads)]


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
    """Deploy a bundle of BPMN diagrams: each executable process becomes the next version of its model.
    ---
    post:
      tags: [process models]
      description: Supervisors and admins only. A bundle is one or more BPMN files (field file, repeatable), the
        DMN files they use (dmn) and their forms (form); a called process of the bundle deploys before its caller,
        all in one transaction. An invalid bundle changes nothing and returns every problem, each naming its file;
        a deployment without a comment is refused (422, field comment).
      parameters:
        - {in: query, name: comment, schema: {type: string}}
      requestBody:
        content:
          application/xml: {schema: {type: string}}
          multipart/form-data:
            schema:
              type: object
              properties:
                file: {type: array, items: {type: string, format: binary}}
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
                file: {type: array, items: {type: string, format: binary}}
                dmn: {type: array, items: {type: string, format: binary}}
                form: {type: array, items: {type: string, format: binary}}
      responses:
        200:
          description: "valid: true, or the problems as {element_id, message, line, hint, file} (and _zh)"
    """
    permissions.require(g.actor, "deploy")
    problems = bundle_from_request().check()
    return {"valid": not problems, "problems": [p.to_dict() for p in problems]}
