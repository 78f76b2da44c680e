"""Customer records for staff: search, the record (profile, contacts, contracts, tickets, history, view log), edits.

Every page that shows a record first writes the look to the view log. Edits go through
engine.customers / contacts / contracts with a reason, so each changed field is a line of the
customer's history. There is no delete: contacts are retired, contracts ended. A customer outside
the user's branches is a 404, like one that does not exist.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from engine import contacts, contracts, customer_accounts, customer_views, customers, inbox
from engine.churn import signals
from engine.db import db
from engine.directory import branches, permissions
from engine.directory.permissions import PERMISSIONS
from engine.errors import InvalidInput
from engine.models import (
    CONTRACT_STATES,
    CREDIT_LEVELS,
    CUSTOMER_LANGUAGES,
    CUSTOMER_STATES,
    MEMBER_CARDS,
    TIERS,
    User,
    UserRole,
)
from engine.revisits import records
from web import paging, schema_form
from web.security import staff_blueprint

blueprint = staff_blueprint("customers", __name__)
TICKETS_SHOWN = 20  # the newest; the ticket list filtered to the customer shows them all, page by page

PROFILE = ("name", "tier", "credit_level", "member_card", "status", "phone", "industry", "arpu", "points",
           "account_manager_id", "branch_id", "language", "no_sms")
CONTACT = ("name", "role", "phone", "email")
CONTRACT = ("number", "title", "start_date", "end_date", "amount", "status")
LABELS = {  # stored codes and field names as the pages show them
    "red": _l("red list"), "grey": _l("grey list"), "black": _l("black list"),
    "diamond": _l("diamond card"), "emerald": _l("emerald card"), "sapphire": _l("sapphire card"),
    "active": _l("active"), "locked": _l("locked: service suspended"), "prospect": _l("prospect"),
    "departed": _l("departed"), "draft": _l("draft"),
    "ended": _l("ended"), "current": _l("current"), "expiring": _l("expiring soon"), "expired": _l("expired"),
    "open-ended": _l("open-ended"), "group": _l("group customer"), "individual": _l("individual customer"),
    "hq": _l("headquarters"), "province": _l("provincial branch"), "city": _l("city branch"),
    "record": _l("record"), "contacts": _l("contacts"), "contracts": _l("contracts"), "history": _l("history"),
    "views": _l("view log"), "web": _l("web"), "api": _l("API"),
    "name": _l("Name"), "tier": _l("Tier"), "credit_level": _l("Credit level"), "member_card": _l("Member card"),
    "status": _l("Status"), "phone": _l("Phone"), "industry": _l("Industry"), "arpu": _l("ARPU (yuan/month)"),
    "points": _l("Points"), "account_manager_id": _l("Account manager"), "branch_id": _l("Branch"),
    "role": _l("Role at the customer"), "email": _l("E-mail"), "contact": _l("contact added"),
    "contract": _l("contract added"), "number": _l("Contract number"), "title": _l("Title"),
    "start_date": _l("Start"), "end_date": _l("End"), "amount": _l("Amount (yuan)"), "reason": _l("Reason"),
    "code": _l("Customer code"), "kind": _l("Kind"), "branch": _l("Branch"), "account_manager": _l("Account manager"),
    "language": _l("Language of its notices"), "no_sms": _l("SMS notices"), "zh_CN": _l("Chinese"),
    "en": _l("English"), "sms_on": _l("SMS allowed"), "sms_off": _l("no SMS"),
    "contact_name": _l("Contact name"), "contact_phone": _l("Contact phone"), "contact_email": _l("Contact e-mail"),
    "arrears": _l("Arrears (yuan, billing period)"), "dunning": _l("Dunning outcome"), "paid": _l("paid"),
    "not_dunned": _l("not dunned"), "unpaid_suspended": _l("unpaid: service suspended"),
    "unpaid_service_kept": _l("unpaid: service kept"),
}
NEW = ("code", "name", "kind", "tier", "industry", "phone", "branch", "account_manager", "credit_level",
       "member_card", "status")
CONTACT_OF_NEW = {"contact_name": "name", "contact_phone": "phone", "contact_email": "email"}


def label(code) -> str:
    return str(LABELS.get(code, code if code is not None else "—"))


@blueprint.get("/customers")
def index():
    q = request.args.get("q", "")
    found = paging.take(lambda limit, offset: customers.search(current_user, q, limit=limit, offset=offset))
    return render_template("customers/index.html", q=q, found=found,
                           label=label, open_customers=PERMISSIONS["open_customers"],
                           portfolio_roles=PERMISSIONS["portfolio"])


@blueprint.get("/customers/new")
def new(errors: dict | None = None, status: int = 200):
    permissions.require(current_user, "open_customers")
    return render_template("customers/new.html", options=_new_options(), failed="new", errors=errors or {},
                           form=request.form, label=label), status


@blueprint.post("/customers/new")
def create():
    """Open a customer (开户) with at most one contact; on a wrong value show the form again with the messages."""
    body = {name: request.form.get(name, "").strip() or None for name in NEW}
    contact = {field: request.form.get(name, "").strip() or None for name, field in CONTACT_OF_NEW.items()}
    body["contacts"] = [contact] if any(contact.values()) else []
    try:
        customer = customer_accounts.create(current_user, body, _reason())
    except InvalidInput as err:
        errors = schema_form.engine_errors([{**p, "field": _form_field(p.get("field"))} for p in err.details or []])
        flash(_("Please correct the marked fields."), "danger")
        return new(errors, 422)
    flash(_("Customer %(code)s opened.", code=customer.code), "success")
    return redirect(url_for("customers.show", customer_id=customer.id))


@blueprint.get("/customers/portfolio")
def portfolio(errors: dict | None = None, status: int = 200):
    """A manager leaves: choose their customers and who takes them over (with the open tasks they held)."""
    permissions.require(current_user, "portfolio")
    managers = _managers()
    leaving = request.values.get("from") or ""
    held = [c for c in customers.search(current_user, limit=1000) if c.account_manager
            and c.account_manager.username == leaving]
    return render_template("customers/portfolio.html", managers=managers, leaving=leaving, held=held,
                           errors=errors or {}, form=request.form), status


@blueprint.post("/customers/portfolio")
def move_portfolio():
    try:
        moved = customer_accounts.move_portfolio(current_user, request.form.get("from"), request.form.get("to"),
                                                 request.form.getlist("customers"), _reason())
    except InvalidInput as err:
        flash(_("Please correct the marked fields."), "danger")
        return portfolio(schema_form.engine_errors(err.details), 422)
    flash(_("%(customers)s customer(s) and %(tasks)s open task(s) moved.", customers=len(moved["customers"]),
            tasks=moved["tasks"]), "success")
    return redirect(url_for("customers.portfolio"))


def _managers() -> list[User]:
    return list(db.session.scalars(select(User).join(UserRole).where(UserRole.role == "manager", User.active)
                                   .order_by(User.display_name)))


def _form_field(field: str | None) -> str | None:
    """An engine field name as the new-customer form names it (contacts[0].name is contact_name)."""
    own = {f"contacts[0].{field}": name for name, field in CONTACT_OF_NEW.items()}
    return own.get(field, field)


def _new_options() -> dict[str, list[tuple]]:
    managers = _managers()
    return {"kind": _labelled(customer_accounts.KINDS), "tier": [(t, t) for t in TIERS],
            "credit_level": _labelled(CREDIT_LEVELS), "member_card": [("", "—"), *_labelled(MEMBER_CARDS)],
            "status": _labelled(CUSTOMER_STATES), "account_manager": [("", "—"), *((u.username, u.display_name)
                                                                                  for u in managers)],
            "branch": [(b.code, b.name) for b in branches.listing(current_user) if b.active]}


@blueprint.get("/customers/<int:customer_id>")
def show(customer_id: int):
    return _render(customer_id)


@blueprint.post("/customers/<int:customer_id>")
def update(customer_id: int):
    customer = customers.get(customer_id, current_user)
    return _save(customer_id, "profile", lambda: customers.update(
        current_user, customer_id, _changed(_shown(customer, PROFILE), PROFILE), _reason()))


@blueprint.post("/customers/<int:customer_id>/contacts")
def add_contact(customer_id: int):
    return _save(customer_id, "contact-new", lambda: contacts.add(
        current_user, customer_id, _changed(dict.fromkeys(CONTACT, ""), CONTACT), _reason()))


@blueprint.post("/customers/<int:customer_id>/contacts/<int:contact_id>")
def update_contact(customer_id: int, contact_id: int):
    """Edit a contact, or retire / bring back one (the form sends ``active``)."""
    current = next((c for c in contacts.of(customers.get(customer_id, current_user)) if c.id == contact_id), None)
    fields = (*CONTACT, "active", "no_sms")
    shown = _shown(current, fields) if current else dict.fromkeys(fields, "")
    return _save(customer_id, f"contact-{contact_id}", lambda: contacts.update(
        current_user, customer_id, contact_id, _changed(shown, fields), _reason()))


@blueprint.post("/customers/<int:customer_id>/contracts")
def add_contract(customer_id: int):
    return _save(customer_id, "contract-new", lambda: contracts.add(
        current_user, customer_id, _changed(dict.fromkeys(CONTRACT, ""), CONTRACT), _reason()))


@blueprint.post("/customers/<int:customer_id>/contracts/<int:contract_id>")
def update_contract(customer_id: int, contract_id: int):
    current = next((c for c in contracts.of(customers.get(customer_id, current_user)) if c.id == contract_id), None)
    shown = _shown(current, CONTRACT) if current else dict.fromkeys(CONTRACT, "")
    return _save(customer_id, f"contract-{contract_id}", lambda: contracts.update(
        current_user, customer_id, contract_id, _changed(shown, CONTRACT), _reason()))


def _save(customer_id: int, form_id: str, operation):
    """Run an edit; on a wrong value show the record again with the messages next to that form's fields."""
    try:
        operation()
    except InvalidInput as err:
        if err.details and err.details[0].get("field") is None:  # nothing was changed at all
            flash(_("Nothing changed: the form holds the values the record already has."), "info")
            return redirect(url_for("customers.show", customer_id=customer_id))
        flash(_("Please correct the marked fields."), "danger")
        return _render(customer_id, form_id, schema_form.engine_errors(err.details), 422)
    flash(_("Saved. The change is in the customer's history."), "success")
    return redirect(url_for("customers.show", customer_id=customer_id) + "#" + form_id.split("-")[0])


def _render(customer_id: int, failed: str = "", errors: dict | None = None, status: int = 200):
    """The record page; the look is logged before anything is shown."""
    customer = customer_views.open_record(current_user, customer_id, "web")
    auditor = current_user.has_role(*PERMISSIONS["audit_customers"])
    return render_template(
        "customers/show.html", customer=customer, contacts=contacts.of(customer),
        contracts=[(c, contracts.expiry(c)) for c in contracts.of(customer)],
        tickets=inbox.tickets(current_user, customer_id=customer.id, limit=TICKETS_SHOWN + 1),
        tickets_shown=TICKETS_SHOWN, revisits=records.of_customer(customer), churn=signals.score_of(customer),
        history=paging.take(lambda limit, offset: customers.history(customer, True, limit, offset), 50,
                            "history_page", "history"),
        views=paging.take(lambda limit, offset: customer_views.of(customer, limit, offset), 50, "views_page",
                          "views") if auditor else None,
        options=_options(customer), failed=failed, errors=errors or {}, form=request.form, label=label), status


def _options(customer) -> dict[str, list[tuple]]:
    """The choices of the select fields, as (value, text); the record's own values are always among them."""
    managers = list(db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == "manager", User.active.is_(True)).order_by(User.display_name)))
    if customer.account_manager is not None and customer.account_manager not in managers:
        managers.append(customer.account_manager)
    places = [(b.id, b.name) for b in branches.listing(current_user)]
    return {"tier": [(t, t) for t in TIERS], "credit_level": _labelled(CREDIT_LEVELS),
            "member_card": [("", "—"), *_labelled(MEMBER_CARDS)], "status": _labelled(CUSTOMER_STATES),
            "contract_status": _labelled(CONTRACT_STATES), "language": _labelled(CUSTOMER_LANGUAGES),
            "no_sms": [("0", label("sms_on")), ("1", label("sms_off"))],
            "account_manager_id": [("", "—"), *((u.id, u.display_name) for u in managers)],
            "branch_id": places if customer.branch_id is not None else [("", "—"), *places]}


def _labelled(codes) -> list[tuple[str, str]]:
    return [(code, label(code)) for code in codes]


def _shown(row, fields) -> dict[str, str]:
    """The record's values as the form shows them."""
    return {name: _as_form_text(getattr(row, name)) for name in fields}


def _as_form_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _changed(shown: dict[str, str], fields) -> dict:
    """The submitted fields whose text differs from what the form showed, as values for the engine."""
    changes = {}
    for name in fields:
        raw = request.form.get(name)
        if raw is not None and raw.strip() != shown[name]:
            changes[name] = _parsed(name, raw.strip())
    return changes


def _parsed(name: str, raw: str):
    """Form text to the engine's value types; what does not convert goes on as text for the engine to name."""
    if name in ("points", "account_manager_id", "branch_id"):
        return int(raw) if raw.isdigit() else (None if raw == "" and name == "account_manager_id" else raw)
    if name in ("active", "no_sms"):
        return raw == "1"
    if name == "member_card":
        return raw or None
    return raw


def _reason() -> str:
    return request.form.get("reason", "")
