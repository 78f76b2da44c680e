"""The user's own page: contact details that alerts go to, language, time zone, and the API token."""

import re
from zoneinfo import available_timezones

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, update

from engine import clock
from engine.db import db
from engine.directory import users
from engine.models import ApiToken
from web.i18n import LANGUAGES, timezones
from web.security import staff_blueprint

blueprint = staff_blueprint("profile", __name__)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{5,31}$")


def _render(errors: dict[str, str], status: int = 200, token: str | None = None):
    issued = db.session.scalar(select(ApiToken.created_at).where(
        ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None)).order_by(ApiToken.id.desc()))
    return render_template("profile.html", errors=errors, timezones=timezones(), token=token,
                           token_issued=issued, form=request.form), status


@blueprint.get("/profile")
def show():
    return _render({})


@blueprint.post("/profile")
def save():
    """Check every field first; save all of them or none."""
    email, phone = request.form.get("email", "").strip(), request.form.get("phone", "").strip()
    locale, zone = request.form.get("locale", ""), request.form.get("timezone", "")
    errors = {}
    if email and not EMAIL.match(email):
        errors["email"] = _("Enter an e-mail address like name@example.com.")
    if phone and not PHONE.match(phone):
        errors["phone"] = _("Enter a phone number of digits, optionally starting with +.")
    if locale not in LANGUAGES:
        errors["locale"] = _("Choose a language from the list.")
    if zone not in available_timezones():
        errors["timezone"] = _("Choose a time zone from the list.")
    if errors:
        return _render(errors, 422)
    current_user.email, current_user.phone = email or None, phone or None
    current_user.locale, current_user.timezone = locale, zone
    current_user.open_next = "open_next" in request.form
    db.session.commit()
    flash(_("Profile saved."), "success")
    return redirect(url_for("profile.show"))


@blueprint.post("/profile/token")
def regenerate_token():
    """Revoke the user's tokens and issue a new one; it is shown once, only its hash is kept."""
    db.session.execute(update(ApiToken).where(ApiToken.user_id == current_user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=clock.now()))
    token = users.issue_token(current_user)
    flash(_("A new API token was issued; the old one no longer works."), "success")
    return _render({}, token=token)
