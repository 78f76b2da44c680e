"""The retention plan library for supervisors (004 §五.8.5-6): the entries they maintain with how often each was used
and kept in their branches, a form to add one, a page to change or retire one (never to delete it)."""

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from engine.directory import branches
from engine.errors import InvalidInput
from engine.retention_library import library
from web import schema_form
from web.security import staff_blueprint

blueprint = staff_blueprint("retention", __name__, url_prefix="/retention-plans")
TEXTS = ("name_en", "name_zh", "description_en", "description_zh")


@blueprint.get("/")
def listing(errors: dict | None = None, values: dict | None = None, status: int = 200):
    return render_template("retention/plans.html", rows=library.listing(current_user), errors=errors or {},
                           values=values or {}, branches=branches.listing(current_user),
                           company=library.keeps_company_plans(current_user)), status


@blueprint.post("/")
def create():
    values = {key: request.form.get(key, "") for key in ("code", "branch", *TEXTS)}
    try:
        entry = library.create(current_user, values)
    except InvalidInput as err:
        return listing(schema_form.engine_errors(err.details), values, 422)
    return redirect(url_for("retention.show", plan_id=entry.id))


@blueprint.get("/<int:plan_id>")
def show(plan_id: int, errors: dict | None = None, status: int = 200):
    return render_template("retention/plan.html", entry=library.get(current_user, plan_id),
                           errors=errors or {}), status


@blueprint.post("/<int:plan_id>")
def update(plan_id: int):
    values = {key: request.form.get(key, "") for key in TEXTS} | {"active": request.form.get("active") == "true"}
    try:
        library.update(current_user, plan_id, values)
    except InvalidInput as err:
        return show(plan_id, schema_form.engine_errors(err.details), 422)
    return redirect(url_for("retention.listing"))


@blueprint.post("/<int:plan_id>/retire")
def retire(plan_id: int):
    library.retire(current_user, plan_id)
    return redirect(url_for("retention.listing"))
