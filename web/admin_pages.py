"""The admins' directory pages under /admin: branches, roles, users and the audit trail of their changes.

They call the same engine functions as the REST API, so the rules and the refusals are the same;
a refusal shows each named field with its reason in the reader's language and changes nothing.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.directory import branch_admin, branches, changes, permissions, roles, user_admin, users
from engine.errors import InvalidInput
from web import paging
from web.i18n import LANGUAGES, is_zh
from web.security import staff_blueprint

blueprint = staff_blueprint("admin", __name__, url_prefix="/admin")
BRANCH_FIELDS = ("name", "parent")
USER_FIELDS = ("display_name", "email", "phone", "branch", "locale", "sign_in_via")


@blueprint.before_request
def _admins_only():
    permissions.require(current_user, "administer")


@blueprint.get("/branches")
def branch_list(errors: list | None = None, status: int = 200):
    return render_template("admin/branches.html", branches=branches.listing(current_user), errors=errors or [],
                           form=request.form, root=branches.root_code()), status


@blueprint.post("/branches")
def branch_create():
    return _run(lambda: branch_admin.create(current_user, _form(("code", *BRANCH_FIELDS))),
                _("Branch created."), "admin.branch_list", branch_list)


@blueprint.post("/branches/<code>")
def branch_update(code: str):
    return _run(lambda: branch_admin.update(current_user, code, {**_form(BRANCH_FIELDS), "active": _active()}),
                _("Branch saved."), "admin.branch_list", branch_list)


@blueprint.get("/roles")
def role_list(errors: list | None = None, status: int = 200):
    return render_template("admin/roles.html", roles=roles.listing(), errors=errors or [], form=request.form), status


@blueprint.post("/roles")
def role_create():
    return _run(lambda: roles.create(current_user, _form(("key", "name", "name_zh"))), _("Role added."),
                "admin.role_list", role_list)


@blueprint.post("/roles/<key>")
def role_update(key: str):
    return _run(lambda: roles.update(current_user, key, {**_form(("name", "name_zh")), "active": _active()}),
                _("Role saved."), "admin.role_list", role_list)


@blueprint.get("/users")
def user_list(errors: list | None = None, status: int = 200, password: tuple | None = None):
    return render_template("admin/users.html", users=user_admin.listing(), errors=errors or [], form=request.form,
                           password=password, **_choices()), status


@blueprint.post("/users")
def user_create():
    try:
        user, password = user_admin.create(current_user, {**_form(("username", *USER_FIELDS)), "roles": _roles()})
    except InvalidInput as err:
        return user_list(_problems(err), 422)
    if password is None:  # the directory checks this user's password
        flash(_("User saved."), "success")
        return redirect(url_for("admin.user_list"))
    return user_list(password=(user.username, password))


@blueprint.get("/users/<username>")
def user_page(username: str, errors: list | None = None, status: int = 200, password: str | None = None):
    return render_template("admin/user.html", user=users.by_username(username), errors=errors or [],
                           password=password, history=changes.listing("user", username), **_choices()), status


@blueprint.post("/users/<username>")
def user_update(username: str):
    body = {**_form(USER_FIELDS), "roles": _roles(), "active": _active()}
    try:
        user_admin.update(current_user, username, body)
    except InvalidInput as err:
        return user_page(username, _problems(err), 422)
    flash(_("User saved."), "success")
    return redirect(url_for("admin.user_page", username=username))


@blueprint.post("/users/<username>/password")
def user_password(username: str):
    return user_page(username, password=user_admin.reset_password(current_user, username))


@blueprint.post("/users/<username>/tokens")
def user_tokens(username: str):
    count = user_admin.revoke_tokens(current_user, username)
    flash(_("%(count)s API token(s) revoked.", count=count), "success")
    return redirect(url_for("admin.user_page", username=username))


@blueprint.get("/audit")
def audit():
    kind = request.args.get("kind") if request.args.get("kind") in changes.KINDS else None
    subject = request.args.get("subject") or None
    found = paging.take(lambda limit, offset: changes.listing(kind, subject, limit, offset), 100)
    return render_template("admin/audit.html", rows=found.rows, found=found, kind=kind, kinds=changes.KINDS)


def _run(operation, done: str, endpoint: str, page):
    """Run a change; on a refusal show the list again with every named field, else go back to it."""
    try:
        operation()
    except InvalidInput as err:
        return page(_problems(err), 422)
    flash(done, "success")
    return redirect(url_for(endpoint))


def _problems(err: InvalidInput) -> list[tuple[str, str]]:
    """(field, reason) in the reader's language."""
    key = "message_zh" if is_zh() else "message"
    return [(p.get("field") or "", p.get(key) or p.get("message", "")) for p in err.details or []]


def _form(names) -> dict:
    return {name: request.form.get(name, "").strip() or None for name in names}


def _active() -> bool:
    return request.form.get("active") == "1"


def _roles() -> list[str]:
    return request.form.getlist("roles")


def _choices() -> dict:
    return {"roles": [r for r in roles.listing() if r.active], "LOCALES": LANGUAGES,
            "branch_choices": [b for b in branches.listing(current_user) if b.active]}
