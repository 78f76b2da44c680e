"""Importing the operator's data: a dry run answers what would change and what is wrong, a commit writes it.

A file is limited to 20 MB (a larger body answers 413). Branches and users are for admins; other
staff import customers and contracts within their branches.
"""

from flask import g, request
from werkzeug.exceptions import RequestEntityTooLarge

from engine.errors import InvalidInput
from engine.imports import batches, files
from web import import_files
from web.api import blueprint
from web.security import UPLOAD_LIMITS

BODY_LIMIT = files.MAX_BYTES + 64 * 1024  # the file plus the multipart envelope around it
UPLOAD_LIMITS.update({"api.preview_import": BODY_LIMIT, "imports.preview": BODY_LIMIT})


def preview_body(batch) -> dict:
    return {"id": batch.id, "kind": batch.kind, "file_name": batch.file_name, "summary": batch.summary,
            "problems": batch.problems}


def uploaded() -> tuple[str, bytes]:
    """The multipart field ``file``: its name and bytes; over 20 MB is a 413."""
    request.max_content_length = BODY_LIMIT
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("send the file as the multipart field 'file'",
                           [files.problem(None, "file", None, "required", "必填：请上传文件")])
    data = upload.read(files.MAX_BYTES + 1)
    if len(data) > files.MAX_BYTES:
        raise RequestEntityTooLarge(f"the file is larger than {files.MAX_BYTES // (1024 * 1024)} MB")
    return upload.filename or "upload", data


@blueprint.post("/imports/<kind>")
def preview_import(kind: str):
    """Dry run: check every row of a CSV (UTF-8 or GB18030) or XLSX file and store the preview; nothing else changes.
    ---
    post:
      tags: [imports]
      parameters:
        - {in: path, name: kind, required: true, schema: {type: string, enum: [branches, users, customers, contracts]}}
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary, description: "CSV or XLSX, header row first, at most 20 MB"}
      responses:
        200:
          description: the preview; commit it by its id unless it lists problems
          content: {application/json: {schema: {$ref: '#/components/schemas/ImportPreview'}}}
    """
    batches.kind_of(g.actor, kind)
    name, data = uploaded()
    return preview_body(batches.preview(g.actor, kind, name, data))


@blueprint.post("/imports/<int:import_id>/commit")
def commit_import(import_id: int):
    """Write exactly what the dry run previewed, all or nothing; new users' one-time passwords are listed once.
    ---
    post:
      tags: [imports]
      parameters: [{in: path, name: import_id, required: true, schema: {type: integer}}]
      responses:
        200:
          description: committed
          content:
            application/json:
              schema:
                type: object
                properties:
                  id: {type: integer}
                  kind: {type: string}
                  summary: {$ref: '#/components/schemas/ImportSummary'}
                  passwords:
                    type: array
                    items: {type: object, properties: {username: {type: string}, password: {type: string}}}
        409: {description: "committed already, expired, or rows that changed or fail since the preview, each named"}
        422: {description: "the preview has problems, listed as in the dry run"}
    """
    return batches.commit(g.actor, import_id)


@blueprint.get("/imports/<kind>/template")
def import_template(kind: str):
    """A file with the kind's header row, to fill in: English field names, or Chinese labels with `lang=zh`.
    ---
    get:
      tags: [imports]
      parameters:
        - {in: path, name: kind, required: true, schema: {type: string, enum: [branches, users, customers, contracts]}}
        - {in: query, name: format, schema: {type: string, enum: [csv, xlsx], default: csv}}
        - {in: query, name: lang, schema: {type: string, enum: [en, zh], default: en}}
      responses:
        200: {description: the template file}
    """
    module = batches.kind_of(g.actor, kind)
    return import_files.download(module.COLUMNS, [], *_format(), f"{kind}-template")


@blueprint.get("/imports/<kind>/export")
def import_export(kind: str):
    """The caller's records of the kind (customers and contracts within their branches) as an import file.
    ---
    get:
      tags: [imports]
      description: "Edit it in a spreadsheet and import it back: unchanged rows change nothing."
      parameters:
        - {in: path, name: kind, required: true, schema: {type: string, enum: [branches, users, customers, contracts]}}
        - {in: query, name: format, schema: {type: string, enum: [csv, xlsx], default: csv}}
        - {in: query, name: lang, schema: {type: string, enum: [en, zh], default: en}}
      responses:
        200: {description: the file}
    """
    module = batches.kind_of(g.actor, kind)
    return import_files.download(module.COLUMNS, batches.export(g.actor, kind), *_format(), kind)


def _format() -> tuple[str, str]:
    return request.args.get("format", "csv"), request.args.get("lang", "en")
