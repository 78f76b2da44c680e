"""The ticket's data as a desk worker reads it: grouped by the step that recorded it, each value labelled
from that step's form and written for people (local times, choice labels, yes/no), never as raw keys."""

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _

from engine.forms import choices
from engine.models import Ticket, TicketEvent
from web.i18n import enum_label, label, named, when

LONG_TEXT = 200  # characters past which a text is shown collapsed, opened on demand


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    text: str

    @property
    def long(self) -> bool:
        return len(self.text) > LONG_TEXT or "\n" in self.text


@dataclass(frozen=True)
class Group:
    """The values one step recorded: who and when (none for values the process set itself)."""

    title: str
    who: str
    at: datetime | None
    entries: list[Entry]


def groups(ticket: Ticket, events: list[TicketEvent], start_form: dict | None) -> list[Group]:
    """The opening data, each completed task's form values, then what the process computed itself."""
    forms = ticket.process_version.forms
    found, recorded = [], set()
    for event in events:
        data = event.data.get("data") if event.kind in ("created", "completed") else None
        if not data:
            continue
        schema = start_form if event.kind == "created" else forms.get(event.task.form_key or "") if event.task else None
        schema = choices.resolved(schema, ticket.branch_id)  # a library plan chosen shows by its name
        title = _("Opened") if event.kind == "created" else named(event.task) if event.task else _("Task")
        found.append(Group(title, event.actor.display_name if event.actor else "", event.at,
                           _entries(data, schema or {})))
        recorded.update(data)
    rest = {key: value for key, value in ticket.data.items() if key not in recorded}
    if rest:
        found.append(Group(_("Set by the process"), "", None, _entries(rest, {})))
    return found


def _entries(data: dict, schema: dict) -> list[Entry]:
    nodes = schema.get("properties", {})
    return [Entry(key, label(nodes.get(key), _humane(key)), shown(nodes.get(key, {}), value))
            for key, value in data.items()]


def _humane(key: str) -> str:
    """A key no form labels, as words: fault_level -> Fault level."""
    return key.replace("_", " ").strip().capitalize()


def shown(node: dict, value) -> str:
    """One value as text: yes/no, the choice's label, a local time, a list joined, never a Python repr."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(shown(node.get("items", {}), item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{_humane(str(k))}: {shown({}, v)}" for k, v in value.items())
    moment = _moment(value)
    if moment is not None:
        return when(moment)
    return enum_label(node, value)


def _moment(value) -> datetime | None:
    """An ISO date-time (how forms store times, in UTC), also in values no form describes; else None."""
    if not isinstance(value, str) or len(value) < 16 or value[10:11] != "T":
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
