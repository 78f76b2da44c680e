"""Choices a form reads from the desk's data instead of its file: a field with ``"x-choices": "<list>"`` offers the
entries of that list kept in the database (today ``retention_plans``, the library supervisors maintain), before the
choices its own ``enum`` always has (a plan of one's own). Resolved for the ticket's branch whenever the form is
shown or checked, so a retired entry can no longer be chosen and a new one is offered at once."""

import copy

from engine.retention_library import library


def _retention_plans(branch_id: int | None) -> list[tuple[str, str, str, str, str]]:
    """(code, name, 名称, description, 说明) of the active entries offered in the branch."""
    return [(e.code, e.name_en, e.name_zh, e.description_en, e.description_zh) for e in library.offered(branch_id)]


SOURCES = {"retention_plans": _retention_plans}


def resolved(schema: dict | None, branch_id: int | None) -> dict | None:
    """The schema with each ``x-choices`` field's entries added to its enum, labels and descriptions (a label
    carries its description after a dash, as the form shows it); a schema without one is returned as it is."""
    named = [name for name, node in (schema or {}).get("properties", {}).items() if node.get("x-choices") in SOURCES]
    if not named:
        return schema
    schema = copy.deepcopy(schema)
    for name in named:
        _fill(schema["properties"][name], SOURCES[schema["properties"][name]["x-choices"]](branch_id))
    return schema


def _fill(node: dict, entries: list[tuple[str, str, str, str, str]]) -> None:
    own = node.get("enum", [])
    labels = node.get("x-enum-labels", {})
    descriptions = node.get("x-enum-descriptions", {})
    node["enum"] = [e[0] for e in entries] + own
    node["x-enum-labels"] = {
        "en": [_labelled(e[1], e[3]) for e in entries] + labels.get("en", own),
        "zh": [_labelled(e[2], e[4]) for e in entries] + labels.get("zh", labels.get("en", own))}
    node["x-enum-descriptions"] = {"en": [e[3] for e in entries] + descriptions.get("en", [""] * len(own)),
                                   "zh": [e[4] for e in entries] + descriptions.get("zh", [""] * len(own))}


def _labelled(name: str, description: str) -> str:
    return f"{name} — {description}" if description else name
