"""What changed in a version's forms and decision tables, next to the diagram diff of engine.versions.

A supervisor who adds a required field or changes a table row changes how tickets run as much as one who moves
a flow; the versions view shows both, form by form (field by field) and decision by decision (rule by rule).
"""

from engine import diagrams


def forms(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """Per form key: added, removed, or changed with its fields added, removed and changed."""
    found = []
    for key in sorted(before.keys() | after.keys()):
        if key not in after or key not in before:
            found.append({"key": key, "change": "added" if key in after else "removed"})
            continue
        old, new = _fields(before[key]), _fields(after[key])
        entry = {"key": key, "change": "changed",
                 "fields_added": sorted(new.keys() - old.keys()), "fields_removed": sorted(old.keys() - new.keys()),
                 "fields_changed": [{"field": name, "changes": _changes(old[name], new[name])}
                                    for name in sorted(old.keys() & new.keys()) if old[name] != new[name]],
                 "form_changed": _changes(_form_level(before[key]), _form_level(after[key]))}
        if any(entry[part] for part in ("fields_added", "fields_removed", "fields_changed", "form_changed")):
            found.append(entry)
    return found


def _fields(schema: dict) -> dict[str, dict]:
    """Each field's definition, with whether the form requires it."""
    required = set(schema.get("required", []))
    return {name: {**spec, "required": name in required} for name, spec in schema.get("properties", {}).items()}


def _form_level(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key not in ("properties", "required")}


def _changes(old: dict, new: dict) -> list[dict]:
    return [{"attribute": name, "from": old.get(name), "to": new.get(name)}
            for name in sorted(old.keys() | new.keys()) if old.get(name) != new.get(name)]


def decisions(before: list[str], after: list[str]) -> list[dict]:
    """Per decision id: added, removed, or changed with its rule rows added, removed and changed (by rule id)."""
    old, new = _decisions(before), _decisions(after)
    found = []
    for decision_id in sorted(old.keys() | new.keys()):
        if decision_id not in old or decision_id not in new:
            found.append({"id": decision_id, "change": "added" if decision_id in new else "removed"})
            continue
        (old_columns, old_rules), (new_columns, new_rules) = old[decision_id], new[decision_id]
        entry = {"id": decision_id, "change": "changed",
                 "rules_added": [{"id": r, **new_rules[r]} for r in new_rules if r not in old_rules],
                 "rules_removed": [{"id": r, **old_rules[r]} for r in old_rules if r not in new_rules],
                 "rules_changed": [{"id": r, "from": old_rules[r], "to": new_rules[r]}
                                   for r in new_rules if r in old_rules and old_rules[r] != new_rules[r]],
                 "columns_changed": _changes(old_columns, new_columns)}
        if any(entry[part] for part in ("rules_added", "rules_removed", "rules_changed", "columns_changed")):
            found.append(entry)
    return found


def _decisions(tables: list[str]) -> dict[str, tuple[dict, dict]]:
    """For each decision: its columns (input expressions, output names) and its rows by rule id (or position)."""
    found = {}
    for xml in tables:
        for decision in diagrams.read_xml(xml, "decision table").iter("{*}decision"):
            columns = {"inputs": [_text(i.find("{*}inputExpression")) for i in decision.iter("{*}input")],
                       "outputs": [o.get("name") for o in decision.iter("{*}output")]}
            rules = {rule.get("id") or f"row {n}": {"inputs": [_text(e) for e in rule.iterfind("{*}inputEntry")],
                                                    "outputs": [_text(e) for e in rule.iterfind("{*}outputEntry")]}
                     for n, rule in enumerate(decision.iter("{*}rule"), 1)}
            found[decision.get("id")] = (columns, rules)
    return found


def _text(node) -> str | None:
    text = node.find("{*}text") if node is not None else None
    return (text.text or "").strip() if text is not None else None
