"""Language and time zone: each user's choice (or the browser's before sign-in), with the template helpers.

Bilingual form schemas carry ``title`` / ``x-title-zh`` and ``x-enum-labels``; ``label`` picks the
text for the current language, falling back to English and then to the raw key.
"""

from datetime import datetime
from zoneinfo import available_timezones

from flask import Flask, current_app, g, request, session
from flask_babel import Babel, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from engine import clock, error_texts
from engine.directory import roles

LANGUAGES = {"en": "English", "zh_CN": "中文"}
babel = Babel()

# The words the pages show for stored codes: states, channels, priorities, history kinds (roles: the roles table).
TERMS = {
    "open": _l("open"), "claimed": _l("claimed"), "completed": _l("completed"), "cancelled": _l("cancelled"),
    "closed": _l("closed"), "incident": _l("incident: the process cannot go on"),
    "green": _l("green"), "yellow": _l("yellow"), "red": _l("red"),
    "low": _l("low"), "normal": _l("normal"), "high": _l("high"), "urgent": _l("urgent"),
    "on_track": _l("on track"), "warning": _l("warning"), "breached": _l("breached"),
    "created": _l("ticket created"), "unclaimed": _l("task returned"), "assigned": _l("task assigned"),
    "reassigned": _l("task reassigned"), "paused": _l("waiting on the customer"), "resumed": _l("resumed"),
    "comment": _l("comment"), "task_created": _l("task created"), "task_cancelled": _l("task cancelled"),
    "sla_warned": _l("SLA warning"), "sla_breached": _l("SLA breached"), "sla_escalated": _l("SLA escalated"),
    "sla_moved": _l("promised date moved"),
    "timer_fired": _l("timer fired"), "timer_failed": _l("timer failed"), "attachment_added": _l("file attached"),
    "migrated": _l("moved to another version"), "reply": _l("reply to the customer"),
    "customer_notified": _l("customer notified"), "customer_not_notified": _l("customer not notified"),
    "reached": _l("reached by phone"), "visited": _l("visited"), "not_reached": _l("not reached"),
}


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters.update(when=when, countdown=countdown, age=age)
    app.jinja_env.filters["term"] = term
    app.jinja_env.globals.update(label=label, enum_label=enum_label, LANGUAGES=LANGUAGES, is_zh=is_zh,
                                 element_name=element_name, named=named)


def select_locale() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.locale
    return session.get("locale") or request.accept_languages.best_match(list(LANGUAGES)) or "en"


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["TIMEZONE"]


def term(code: str | None) -> str:
    """The word for a stored code; translated once per request and language, as a list shows the same few words on
    every row.
    A role is named as the roles table says (admins rename roles and add new ones)."""
    return _per_locale("_kd_terms", _terms).get(code, code or "")


def _terms() -> dict[str, str]:
    words = {key: str(value) for key, value in TERMS.items()}
    words.update({role.key: role.name_zh if is_zh() else role.name for role in roles.listing()})
    return words


def _per_locale(name: str, build) -> dict[str, str]:
    """``build()``'s words, once per request and language: a ``force_locale`` block (the modeller's preview in
    both languages, the report exports) asks in another language than the request's."""
    known = g.setdefault(name, {})
    locale = str(get_locale())
    if locale not in known:
        known[locale] = build()
    return known[locale]


def timezones() -> list[str]:
    return sorted(available_timezones())


def is_zh() -> bool:
    return str(get_locale()).startswith("zh")


def when(value: datetime | None) -> str:
    """A stored UTC time in the user's time zone, as 2026-11-23 09:00 in both languages (cheap enough per row)."""
    return value.astimezone(get_timezone()).strftime("%Y-%m-%d %H:%M") if value else ""


def _span(seconds: float) -> str:
    minutes = int(abs(seconds) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    words = _span_words()
    if days:
        return words["days"] % {"d": days, "h": hours}
    if hours:
        return words["hours"] % {"h": hours, "m": minutes}
    return words["minutes"] % {"m": minutes}


def _span_words() -> dict[str, str]:
    """The patterns of a time span in the user's language, looked up once per request: a list shows two spans
    on every row, and each gettext call is a look-up of the locale and its catalogue."""
    return _per_locale("_kd_spans", lambda: {"days": _("%(d)sd %(h)sh"), "hours": _("%(h)sh %(m)02dm"),
                                             "minutes": _("%(m)sm"), "late": _("late %(span)s")})


def countdown(due: datetime | None) -> str:
    """Time left until ``due`` ("2h 05m"), or how late it is ("late 15m")."""
    if due is None:
        return ""
    left = (due - clock.now()).total_seconds()
    return _span(left) if left > 0 else _span_words()["late"] % {"span": _span(left)}


def age(since: datetime | None) -> str:
    return _span((clock.now() - since).total_seconds()) if since else ""


def element_name(name: str, properties: dict | None) -> str:
    """A BPMN element's name in the current language: its ``name_zh`` property for a Chinese user, else its name
    (elements drawn before name_zh existed have only the name)."""
    chinese = (properties or {}).get("name_zh")
    return chinese if chinese and is_zh() else name


def error_text(err) -> str:
    """An engine error's message in the current language (without a Chinese text of its own: error_texts')."""
    return error_texts.chinese(err) if is_zh() else err.message


def named(row) -> str:
    """A task's or a process's name in the current language: its ``name_zh`` for a Chinese user when the diagram
    gave one, else its name."""
    return row.name_zh if is_zh() and row.name_zh else row.name


def label(node: dict | None, fallback: str = "") -> str:
    """The title of a schema (or schema property) in the current language."""
    node = node or {}
    if is_zh() and node.get("x-title-zh"):
        return node["x-title-zh"]
    return node.get("title") or fallback


def enum_label(node: dict, value) -> str:
    labels = node.get("x-enum-labels") or {}
    chosen = labels.get("zh" if is_zh() else "en") or labels.get("en") or []
    options = node.get("enum") or []
    if value in options and len(chosen) == len(options):
        return chosen[options.index(value)]
    return str(value)
