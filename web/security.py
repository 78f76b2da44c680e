"""What every staff page shares for safety: CSRF on every form, security headers, role checks, one error page.

The JSON API is exempt from CSRF because it accepts only bearer tokens, never the session cookie.
"""

from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from engine.errors import Conflict, EngineError, Forbidden, InvalidInput, NotFound
from web.i18n import error_text

csrf = CSRFProtect()

# Scripts only from this server (no inline script); bpmn-js and htmx set inline styles on elements.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, InvalidInput: 422}


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_refuse_nul_characters)
    app.after_request(_add_headers)
    app.register_error_handler(CSRFError, _csrf_failed)


def _add_headers(response):
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.blueprint != "api" and request.endpoint != "assets.vendor" and request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
UPLOAD_LIMITS: dict[str, int] = {}  # endpoints whose body may exceed MAX_CONTENT_LENGTH (imports), in bytes


def field_with_nul() -> str | None:
    """The first query parameter, form field or uploaded file name of the request with a NUL character (PostgreSQL
    cannot store or compare one, and no one types it), named printably; None when there is none. Reading the form
    here reads the body, so an endpoint's own body limit (UPLOAD_LIMITS) applies from here on."""
    if request.endpoint in UPLOAD_LIMITS:
        request.max_content_length = UPLOAD_LIMITS[request.endpoint]
    values = list(request.args.items(multi=True))
    if request.mimetype in FORM_TYPES:  # the bodies Werkzeug parses into fields; others leave form and files empty
        values += [*request.form.items(multi=True),
                   *((name, upload.filename) for name, upload in request.files.items(multi=True))]
    field = next((name or "" for name, value in values if "\x00" in (name or "") + (value or "")), None)
    return None if field is None else field.replace("\x00", "\\0")


def _refuse_nul_characters():
    """A page request with a NUL character is refused (422), naming the field; the API answers in JSON (web/api)."""
    if request.blueprint == "api":
        return None
    field = field_with_nul()
    if field is None:
        return None
    message = _("The field %(field)s contains a NUL character, which cannot be stored: remove it and send the form "
                "again.", field=field)
    return render_template("error.html", status=422, message=message), 422


def _csrf_failed(err: CSRFError):
    message = _("The form expired or did not come from this site. Reload the page and try again.")
    return render_template("error.html", status=400, message=message), 400


def staff_blueprint(name: str, import_name: str, **kwargs) -> Blueprint:
    """A blueprint of staff pages: every view needs a signed-in user, engine errors become the error page."""
    blueprint = Blueprint(name, import_name, **kwargs)
    blueprint.before_request(_signed_in)
    blueprint.register_error_handler(EngineError, _engine_error)
    return blueprint


def _signed_in():
    """Send a visitor to sign in, and a user on a one-time password to change it; under htmx the whole page goes
    there, not a fragment of it."""
    if current_user.is_authenticated and not current_user.must_change_password:
        return None
    target = url_for("auth.change_password") if current_user.is_authenticated else None
    if request.headers.get("HX-Request"):
        came_from = urlsplit(request.headers.get("HX-Current-URL", "")).path
        return "", 401, {"HX-Redirect": target or url_for("auth.login", next=came_from)}
    return redirect(target) if target else current_app.login_manager.unauthorized()


def _engine_error(err: EngineError):
    """The error page, in the reader's language where the engine gives both."""
    status = next((s for cls, s in STATUS.items() if isinstance(err, cls)), 400)
    return render_template("error.html", status=status, message=error_text(err)), status


def role_required(*roles: str):
    """Refuse (403) anyone who has none of ``roles``."""
    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.has_role(*roles):
                raise Forbidden(_("This page needs the role %(roles)s.", roles=" / ".join(roles)))
            return view(*args, **kwargs)
        return checked
    return decorate
