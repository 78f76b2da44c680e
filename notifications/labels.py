"""Choice labels for messages: a form value such as ``bill_credit`` reads "Bill credit" / "话费抵扣" in the
recipient's language, never as the code a form stores.

The labels come from the forms deployed with the ticket's process version (``x-enum-labels``), so a message
says what the person who filled in the form read.
"""

from engine.models import Ticket


def of(ticket: Ticket | None, data: dict, language: str) -> dict:
    """Every value of ``data``, a form choice replaced by its label in ``language`` (zh_CN or en)."""
    choices = _choices(ticket, "zh" if language.startswith("zh") else "en")
    return {name: _label(choices.get(name, {}), value) for name, value in data.items()}


def _label(labels: dict, value):
    if isinstance(value, list):
        return [_label(labels, item) for item in value]
    return labels.get(value, value) if isinstance(value, str | int) and not isinstance(value, bool) else value


def _choices(ticket: Ticket | None, lang: str) -> dict[str, dict]:
    """{field: {code: label}} of every choice field of the ticket's forms (the first form to name a field wins)."""
    found: dict[str, dict] = {}
    if ticket is None or ticket.process_version is None:
        return found
    for schema in (ticket.process_version.forms or {}).values():
        for name, field in schema.get("properties", {}).items():
            codes = field.get("enum") or field.get("items", {}).get("enum")
            items = field.get("x-enum-labels") or field.get("items", {}).get("x-enum-labels") or {}
            if codes and items.get(lang):
                found.setdefault(name, dict(zip(codes, items[lang], strict=False)))
    return found
