"""Process models: list, deploy a new version, validate without deploying."""

from flask import g, request

from engine import deployments
from engine.errors import InvalidInput
from engine.forms import files as form_files
from web.api import blueprint
from web.api import serialize as out

XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")


def bundle_from_request() -> tuple[bytes, list[bytes], dict[str, dict], str]:
    """The BPMN, its DMN files and its forms (by key, from each file's name) from a raw XML body or a multipart
    upload, plus the deploy comment."""
    if request.mimetype in XML_TYPES:
        return request.get_data(), [], {}, request.args.get("comment", "")
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("send the BPMN as an XML body or as a multipart file field 'file'",
                           [{"field": "file", "message": "required", "message_zh": "必须上传 BPMN 文件（字段 file）"}])
    dmn = [f.read() for f in request.files.getlist("dmn")]
    forms = form_files.read_all([(f.filename or "", f.read()) for f in request.files.getlist("form")])
    return upload.read(), dmn, forms, request.form.get("comment", request.args.get("comment", ""))


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
      description: Supervisors only. An invalid diagram changes nothing and returns every problem.
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
        403: {$ref: '#/components/responses/Error'}
        422: {$ref: '#/components/responses/Error'}
    """
    bpmn, dmn, forms, comment = bundle_from_request()
    versions = deployments.deploy(g.actor, bpmn, dmn, comment, forms)
    return {"deployed": [out.version(v) for v in versions]}, 201


@blueprint.post("/process-models/validate")
def validate():
    """Check a diagram as deploy would, without deploying it.
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
          description: "valid: true, or the problems as {element_id, message, line}"
    """
    bpmn, dmn, forms, _ = bundle_from_request()
    problems = deployments.validate(bpmn, dmn, forms)
    return {"valid": not problems, "problems": [p.to_dict() for p in problems]}
