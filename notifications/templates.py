"""Message templates per event and language, rendered with Jinja2's sandbox in an evaluator process.

KeyDesk ships a subject and body for every event in English and Chinese (template_defaults.py). An admin
may save a new version of either; versions are rows that are never changed or deleted, the newest wins,
and the defaults stay as the fallback. A template is checked before it is saved: a syntax error, a name
the message could not know, or anything the sandbox refuses (attributes starting with `_`, unsafe calls)
is reported with the part and line, and the template is refused. Templates see plain dicts, never ORM rows,
so no template can reach a user's password hash through a relationship. Rendering is bounded (time,
output size, memory: see engine.sandbox.text_templates), so no template can hang or bloat the server.
Whatever a template says, a message about a ticket names the ticket's number: if the rendered subject
and body do not, the subject gets it.
"""

import logging
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, and_, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock, config_cache
from engine.db import db
from engine.directory import permissions
from engine.errors import InvalidInput, NotFound
from engine.models import User
from engine.sandbox import text_templates
from notifications.template_defaults import DEFAULTS, SAMPLE

EVENTS = tuple(DEFAULTS)
LANGUAGES = ("zh_CN", "en")
PARTS = ("subject", "body")
MAX_LENGTH = {"subject": 256, "body": 20_000}

log = logging.getLogger(__name__)


def _now():
    return clock.now()


class MessageTemplate(db.Model):
    """One saved version of an event's template in one language. Append-only: the newest version wins."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("event", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    subject: Mapped[str] = mapped_column(String(512))
    body: Mapped[str] = mapped_column(Text)
    comment: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by: Mapped[User | None] = relationship()


def language(value: str | None) -> str:
    """zh, zh_CN, zh-Hans… → zh_CN; en, en_US… → en; anything else → Chinese, the desk's own language."""
    value = (value or "").replace("-", "_").lower()
    return "en" if value.startswith("en") else "zh_CN"


def current(event: str, lang: str) -> tuple[str, str, int]:
    """(subject, body, version) in force; version 0 is the shipped default."""
    saved = config_cache.cached(("templates",), frozenset({"message_templates"}), _in_force).get((event, lang))
    if saved is not None:
        return saved
    subject, body = DEFAULTS[event][lang]
    return subject, body, 0


def render(event: str, lang: str, context: dict) -> tuple[str, str]:
    """The subject and body of a message. An admin's version that fails at run time falls back to the
    default (and is logged), so that a bad edit never swallows an alert."""
    lang = language(lang)
    subject, body, version = current(event, lang)
    try:
        rendered = _render(False, subject, body, context)
    except _PartError as err:
        log.error("template %s/%s version %s failed (%s); sent the default instead", event, lang, version, err)
        rendered = _render(False, *DEFAULTS[event][lang], context)
    return _with_number(*rendered, context.get("ticket"))


def preview(event: str, lang: str, subject: str | None = None, body: str | None = None) -> dict:
    """The template in force (or the given text) rendered with sample data; a broken one is InvalidInput."""
    _known(event, lang)
    saved_subject, saved_body, version = current(event, lang)
    subject, body = saved_subject if subject is None else subject, saved_body if body is None else body
    rendered = check(subject, body)
    return {"event": event, "language": lang, "version": version, "subject": rendered[0], "body": rendered[1]}


def check(subject: str, body: str) -> tuple[str, str]:
    """Render with the sample data, strictly: any problem is an InvalidInput naming the part and line."""
    problems = [{"field": part, "message": f"must be text of at most {MAX_LENGTH[part]} characters"}
                for part, text in zip(PARTS, (subject, body), strict=True)
                if not isinstance(text, str) or len(text) > MAX_LENGTH[part]]
    if not problems and not subject.strip():
        problems.append({"field": "subject", "message": "required"})
    if problems:
        raise InvalidInput(f"wrong template fields: {', '.join(p['field'] for p in problems)}", problems)
    sample = {**SAMPLE, "ticket": {**SAMPLE["ticket"], "data": {}}}
    try:  # a process may put any key into `data` (and so `labels`): in the sample, every key has a value
        return _with_number(*_render(True, subject, body, sample, [["data"], ["labels"], ["ticket", "data"]]),
                            sample["ticket"])
    except _PartError as err:
        raise InvalidInput(f"the {err.part} template, line {err.line}: {err.reason}",
                           [{"field": err.part, "line": err.line, "message": err.reason}]) from err


def save(actor: User, event: str, lang: str, subject: str, body: str, comment: str = "") -> MessageTemplate:
    """A new version of an event's template (admins); refused, with nothing saved, if it does not render."""
    permissions.require(actor, "configure")
    _known(event, lang)
    check(subject, body)
    previous = db.session.scalar(select(func.max(MessageTemplate.version)).where(MessageTemplate.event == event,
                                                                               MessageTemplate.language == lang))
    row = MessageTemplate(event=event, language=lang, version=(previous or 0) + 1,
                          subject=subject, body=body, comment=str(comment or "")[:256], created_by=actor)
    db.session.add(row)
    db.session.commit()
    return row


def versions(event: str, lang: str) -> list[MessageTemplate]:
    _known(event, lang)
    return list(db.session.scalars(select(MessageTemplate).where(MessageTemplate.event == event,
                                                                 MessageTemplate.language == lang)
                                   .order_by(MessageTemplate.version.desc())))


def _known(event: str, lang: str) -> None:
    if event not in DEFAULTS:
        raise NotFound(f"no message event {event!r}; the events are {', '.join(EVENTS)}")
    if lang not in LANGUAGES:
        raise NotFound(f"no template language {lang!r}; the languages are {', '.join(LANGUAGES)}")


def _in_force() -> dict[tuple[str, str], tuple[str, str, int]]:
    """{(event, language): (subject, body, version)} of every admin's newest version, in one read, kept per
    process (engine.config_cache) however many alerts and languages the steps have."""
    kind = (MessageTemplate.event, MessageTemplate.language)
    newest = select(*kind, func.max(MessageTemplate.version).label("version")).group_by(*kind).subquery()
    rows = db.session.execute(select(MessageTemplate.event, MessageTemplate.language, MessageTemplate.subject,
                                     MessageTemplate.body, MessageTemplate.version)
                              .join(newest, and_(MessageTemplate.event == newest.c.event,
                                                 MessageTemplate.language == newest.c.language,
                                                 MessageTemplate.version == newest.c.version)))
    return {(row.event, row.language): (row.subject, row.body, row.version) for row in rows}


class _PartError(Exception):
    def __init__(self, part: str, line: int | None, reason: str):
        super().__init__(f"{part} line {line}: {reason}")
        self.part, self.line, self.reason = part, line, reason


def _render(strict: bool, subject: str, body: str, context: dict, open_keys=()) -> tuple[str, str]:
    """Both parts rendered in one evaluator request (engine.sandbox.text_templates), bounded in time and size."""
    try:
        texts = text_templates.render({"subject": subject, "body": body}, context, strict, open_keys)
    except text_templates.TemplateProblem as err:
        raise _PartError(err.part, err.line, err.reason) from err
    return " ".join(texts["subject"].split()), texts["body"]  # a subject is one line


def _with_number(subject: str, body: str, ticket) -> tuple[str, str]:
    number = ticket.get("number") if isinstance(ticket, dict) else getattr(ticket, "number", None)
    if number and number not in subject and number not in body:
        subject = f"[{number}] {subject}"
    return subject, body
