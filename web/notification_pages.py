"""The admins' notification pages: the outbox with filters, a message with its attempts, resend, a test
message per channel, and the template editor with a preview. The same engine calls as the REST API."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from engine.db import db
from engine.directory import permissions
from engine.errors import InvalidInput, NotFound
from notifications import delivery, outbox, templates
from notifications.outbox import OutboxMessage
from web import paging
from web.i18n import error_text
from web.security import staff_blueprint

blueprint = staff_blueprint("notification_pages", __name__, url_prefix="/admin/notifications")
PAGE = 50


@blueprint.before_request
def _admins_only():
    permissions.require(current_user, "configure")


@blueprint.get("/")
def outbox_list():
    filters = {name: request.args.get(name, "").strip() for name in outbox.FILTERS}
    page = paging.number()
    rows, total = outbox.search(filters, limit=PAGE, offset=(page - 1) * PAGE)
    found = paging.Page(rows, page, total > page * PAGE)
    return render_template("notifications/outbox.html", messages=rows, total=total, filters=filters, found=found,
                           events=templates.EVENTS)


@blueprint.get("/<int:message_id>")
def message(message_id: int):
    return render_template("notifications/message.html", message=_message(message_id))


@blueprint.post("/<int:message_id>/resend")
def resend(message_id: int):
    delivery.resend(current_user, _message(message_id))
    flash(_("The message is queued again; the worker sends it within seconds."), "success")
    return redirect(url_for("notification_pages.message", message_id=message_id))


@blueprint.post("/test")
def send_test():
    try:
        sent = delivery.send_test(current_user, request.form.get("channel"), request.form.get("address") or None)
    except InvalidInput as err:
        flash(error_text(err), "danger")
        return redirect(url_for("notification_pages.outbox_list"))
    if sent.state == "sent":
        flash(_("Test message sent to %(address)s.", address=sent.address), "success")
    else:
        flash(_("The test message was not sent: %(error)s", error=sent.last_error), "danger")
    return redirect(url_for("notification_pages.message", message_id=sent.id))


@blueprint.get("/templates")
def template_list():
    rows = [(event, lang, templates.current(event, lang)[2]) for event in templates.EVENTS
            for lang in templates.LANGUAGES]
    return render_template("notifications/templates.html", rows=rows)


@blueprint.route("/templates/<event>/<lang>", methods=["GET", "POST"])
def template_editor(event: str, lang: str):
    """GET shows the template in force; POST previews the edited text (a broken one shows its error), or saves
    it as a new version (a broken one is refused: 422)."""
    templates.versions(event, lang)  # a 404 page for an unknown event or language
    subject, body, version = templates.current(event, lang)
    if request.method == "POST":
        subject, body = request.form.get("subject", ""), request.form.get("body", "")
    saving = request.method == "POST" and request.form.get("action") == "save"
    preview, error = None, None
    try:
        preview = templates.preview(event, lang, subject, body)
        if saving:
            templates.save(current_user, event, lang, subject, body, request.form.get("comment", ""))
            flash(_("Template saved as a new version."), "success")
            return redirect(url_for("notification_pages.template_editor", event=event, lang=lang))
    except InvalidInput as err:
        error = error_text(err)
    return render_template("notifications/editor.html", event=event, lang=lang, subject=subject, body=body,
                           version=version, preview=preview, error=error,
                           versions=templates.versions(event, lang)), 422 if error and saving else 200


def _message(message_id: int) -> OutboxMessage:
    found = db.session.get(OutboxMessage, message_id)
    if found is None:
        raise NotFound(f"no outbox message {message_id}")
    return found
