"""The words a report shows for the codes it groups by (channel, status, priority, SLA state, kind, role, process,
step, task), in English and Chinese, so that no dimension value reaches a Chinese reader as a raw code (issue 18,
"Chinese throughout"). Tiers (A+, A, B, C) and fault levels are the operator's own codes in both languages.

The names come from where the pages take them: the catalog's terms, the roles table, the processes' and the
tasks' name / name_zh; a value none of these knows (a username, a date) is shown as it is.
"""

from flask import g
from flask_babel import force_locale
from sqlalchemy import select

from engine.db import db
from engine.directory import roles
from engine.models import HumanTask, ProcessModel
from web import exports
from web.i18n import TERMS

LOCALES = {"en": "en", "zh": "zh_CN"}
TERM_COLUMNS = ("channel", "status", "priority", "sla_state", "kind")
CODED = (*TERM_COLUMNS, "role", "process", "step", "task", "name")


def word(column: str, value, lang: str) -> str:
    """``value`` of ``column`` as a reader of ``lang`` reads it."""
    if value is None:
        return exports.label("none", lang)
    names = _names().get(column, {}).get(value)
    return names[exports.LANGUAGES.index(lang)] if names else str(value)


def words(table) -> dict:
    """For the API: each coded column's values in the table, each with its ``label`` and ``label_zh``."""
    found: dict = {}
    for row in table.records():
        for column in CODED:
            value = row.get(column)
            if column in row and value is not None:
                found.setdefault(column, {})[str(value)] = {"label": word(column, value, "en"),
                                                            "label_zh": word(column, value, "zh")}
    return found


def _names() -> dict[str, dict]:
    """column -> value -> (English, Chinese), read once per request."""
    cached = g.get("_kd_report_names")
    if cached is None:
        cached = g._kd_report_names = _read_names()
    return cached


def _read_names() -> dict[str, dict]:
    terms = {}
    for lang, locale in LOCALES.items():
        with force_locale(locale):
            terms[lang] = {key: str(text) for key, text in TERMS.items()}
    term_pairs = {key: (terms["en"][key], terms["zh"][key]) for key in TERMS}
    term_pairs["resolution"] = (exports.label("resolution", "en"), exports.label("resolution", "zh"))
    term_pairs["response"] = (exports.label("response", "en"), exports.label("response", "zh"))
    processes = {key: (name, zh or name) for key, name, zh in db.session.execute(
        select(ProcessModel.key, ProcessModel.name, ProcessModel.name_zh))}
    steps, tasks = {"ticket": ("the ticket", "工单")}, {}
    for element, name, zh in db.session.execute(
            select(HumanTask.element_id, HumanTask.name, HumanTask.name_zh).distinct()):
        steps[element] = tasks[name] = (name, zh or name)
    return {**{column: term_pairs for column in TERM_COLUMNS},
            "role": {r.key: (r.name, r.name_zh) for r in roles.listing()},
            "process": processes, "step": steps, "task": tasks, "name": tasks}
