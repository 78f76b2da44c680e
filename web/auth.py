"""Sign-in and sign-out for the staff pages (the session cookie); the API uses bearer tokens instead."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from engine.db import db
from engine.directory import signin, users
from engine.errors import InvalidInput
from web.i18n import LANGUAGES, is_zh, when

blueprint = Blueprint("auth", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("inbox.index"))
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    try:
        user = signin.sign_in(username, request.form.get("password", ""), request.remote_addr or "")
    except signin.AccountLocked as err:
        flash(_("Too many wrong passwords: this account is locked until %(time)s.",
                time=when(err.until)), "danger")  # the installation's zone: nobody is signed in yet
        return render_template("login.html", next=request.form.get("next", ""), username=username), 429
    except signin.WrongCredentials:
        flash(_("Wrong user name or password."), "danger")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    session.clear()  # a new session on sign-in: no fixation
    login_user(user)
    if user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return redirect(_safe_next(request.form.get("next")) or url_for("inbox.index"))


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """The user's own new password; forced after a one-time password (no other page opens until then)."""
    if request.method == "GET":
        return render_template("password.html", errors={})
    errors = {}
    if not users.authenticate(current_user.username, request.form.get("current", "")):
        errors["current"] = _("This is not your current password.")
    elif request.form.get("password", "") != request.form.get("repeat", ""):
        errors["repeat"] = _("The two new passwords differ.")
    else:
        try:
            users.set_password(current_user, request.form.get("password", ""))
        except InvalidInput as err:
            errors["password"] = _("The new password %(problem)s.", problem=_problem_text(err.details[0]))
    if errors:
        db.session.rollback()
        return render_template("password.html", errors=errors), 422
    db.session.commit()
    flash(_("Your password was changed."), "success")
    return redirect(url_for("inbox.index"))


def _problem_text(problem: dict) -> str:
    return problem["message_zh"] if is_zh() else problem["message"]


@blueprint.post("/logout")
@login_required
def logout():
    signin.signed_out(current_user, request.remote_addr or "")
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@blueprint.post("/language")
def language():
    """Switch the language: stored on the user, or in the session before sign-in."""
    chosen = request.form.get("locale")
    if chosen in LANGUAGES:
        if current_user.is_authenticated:
            current_user.locale = chosen
            db.session.commit()
        else:
            session["locale"] = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("inbox.index"))


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: an absolute or scheme-relative URL would be an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target
