"""The import page: upload a file, see the preview (what would change, each problem in the reader's language), commit.

Admins import branches, users, customers and contracts; other staff customers and contracts within
their branches (engine.imports.batches checks it, as for the API and the command line).
"""

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine.errors import Conflict, InvalidInput
from engine.imports import batches
from web import import_files
from web.api.imports import uploaded
from web.i18n import is_zh
from web.security import staff_blueprint

blueprint = staff_blueprint("imports", __name__)

KIND_LABELS = {"customers": _l("Customers with a contact"), "contracts": _l("Contracts"), "users": _l("Users"),
               "branches": _l("Branches"), "signals": _l("Pre-churn signals")}
ACTION_LABELS = {"new": _l("new"), "changed": _l("changed"), "unchanged": _l("unchanged")}
SHOWN_ROWS = 200  # the preview table shows the first rows; the summary counts them all


def _kinds() -> list[str]:
    return [kind for kind in KIND_LABELS if not batches.KINDS[kind].ADMIN_ONLY or current_user.has_role("admin")]


def _page(status: int = 200, **shown):
    return render_template("imports/index.html", kinds=_kinds(), kind_labels=KIND_LABELS,
                           action_labels=ACTION_LABELS, message=_message,
                           column_label=lambda key: _column_label(shown.get("kind"), key), **shown), status


def _column_label(kind: str | None, key: str | None) -> str:
    """A problem's column as the user's template names it (a field name, or its Chinese label)."""
    module = batches.KINDS.get(kind or "")
    column = next((c for c in module.COLUMNS if c.key == key), None) if module else None
    return column.label_zh if column and is_zh() else key or ""


def _message(problem: dict) -> str:
    return problem["message_zh"] if is_zh() else problem["message"]


@blueprint.get("/imports")
def index():
    return _page(kind=request.args.get("kind", "customers"))


@blueprint.post("/imports")
def preview():
    kind = request.form.get("kind", "")
    batches.kind_of(current_user, kind)
    try:
        name, data = uploaded()
        batch = batches.preview(current_user, kind, name, data)
    except InvalidInput as err:
        return _page(422, kind=kind, refused=err.details or [])
    return _page(kind=kind, batch=batch, rows=batches.rows_of(batch, SHOWN_ROWS))


@blueprint.post("/imports/<int:import_id>/commit")
def commit(import_id: int):
    try:
        done = batches.commit(current_user, import_id)
    except (InvalidInput, Conflict) as err:  # problems, a stale preview, a second commit: listed on the page
        return _page(422, kind=batches.get(current_user, import_id).kind, refused=err.details or [])
    return _page(kind=done["kind"], done=done)


@blueprint.get("/imports/<kind>/template.<fmt>")
def template(kind: str, fmt: str):
    module = batches.kind_of(current_user, kind)
    return import_files.download(module.COLUMNS, [], fmt, "zh" if is_zh() else "en", f"{kind}-template")


@blueprint.get("/imports/<kind>/export.<fmt>")
def export(kind: str, fmt: str):
    module = batches.kind_of(current_user, kind)
    rows = batches.export(current_user, kind)
    return import_files.download(module.COLUMNS, rows, fmt, "zh" if is_zh() else "en", kind)
