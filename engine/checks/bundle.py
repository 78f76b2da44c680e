"""The bundle as a whole: its forms, its decision tables and which file each problem is in.

A deployment is one or more BPMN files with their DMN files and ``<form key>.form.json`` files; a supervisor fixing
it needs to know the file as well as the element (or the form field) and the line.
"""

import json
from dataclasses import replace

from jsonschema import Draft202012Validator

from engine.bundles import decisions
from engine.bundles.contents import Read
from engine.checks.dataflow import FIELD_PARTS, form_fields
from engine.diagrams import Problem, problem
from engine.forms import choices
from engine.forms.files import SUFFIX
from engine.forms.lines import Lines

META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
TITLES = ("title", "x-title-zh")
CONDITION_PARTS = (*FIELD_PARTS, "if", "not")


def form_problems(forms: dict[str, dict], texts: dict[str, str] | None = None) -> list[Problem]:
    """Each bundled form that is not a JSON Schema (draft 2020-12), lacks an English or Chinese title on itself
    or a field, has choice labels that do not match its choices, declares a field twice, or names a field it does
    not have. Each problem names the form's file and its line in the text the form came as (``texts`` by key;
    else as the modeller writes a form: JSON indented by two)."""
    problems = []
    for key, schema in forms.items():
        text = (texts or {}).get(key) or json.dumps(schema, indent=2, ensure_ascii=False)
        lines = Lines(text)
        problems += [replace(p, file=f"{key}{SUFFIX}", line=lines.of(path)) for path, p in _form_checks(schema)]
    return problems


def _form_checks(schema: dict) -> list[tuple[tuple, Problem]]:
    """(path in the form, problem) pairs: the schema's own first, the rest only on a valid schema."""
    found = [(tuple(error.absolute_path),
              problem("form_schema", _field_of(list(error.absolute_path)), None,
                      path="/".join(str(p) for p in error.absolute_path) or "/", detail=error.message))
             for error in META.iter_errors(schema)]
    return found or [*_title_problems(schema, (), None), *_duplicate_fields(schema),
                     *_order_problems(schema), *_unknown_fields(schema)]


def _field_of(path: list) -> str | None:
    """The field a schema path points into: ``properties/amount/minimum`` -> ``amount``."""
    fields = [path[i + 1] for i in range(len(path) - 1) if path[i] == "properties"]
    return str(fields[-1]) if fields else None


def _title_problems(schema: dict, path: tuple, field: str | None) -> list[tuple[tuple, Problem]]:
    """Titles in both languages on the form and every field (nested ones too), choice labels matching the choices."""
    found = [((*path, attribute), problem("form_title", field, None, **_named(field), attribute=attribute))
             for attribute in TITLES if not str(schema.get(attribute, "")).strip()]
    found += _choice_problems(schema, path, field)
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, dict):
            at = (*path, "properties", name)
            found += _title_problems(spec, at, f"{field}.{name}" if field else name)
            items = spec.get("items")
            if isinstance(items, dict):
                found += _item_problems(items, (*at, "items"), name)
    return found


def _named(field: str | None) -> dict:
    return {"field": field or "the form", "field_zh": field or "表单"}


def _item_problems(items: dict, path: tuple, field: str) -> list[tuple[tuple, Problem]]:
    """A list field's entries: an object's fields need titles; a choice's labels must match its choices."""
    if items.get("type") == "object":
        return [found for name, spec in items.get("properties", {}).items() if isinstance(spec, dict)
                for found in _title_problems(spec, (*path, "properties", name), f"{field}.{name}")]
    return _choice_problems(items, path, field)


def _choice_problems(schema: dict, path: tuple, field: str | None) -> list[tuple[tuple, Problem]]:
    """``x-enum-labels`` gives each choice of the ``enum`` a label in English and in Chinese, in order; ``x-choices``
    names a list the desk keeps (engine/forms/choices.py)."""
    found = []
    if "x-choices" in schema and schema["x-choices"] not in choices.SOURCES:
        found.append(((*path, "x-choices"), problem("form_choices", field, None, **_named(field),
                                                    name=schema["x-choices"], known=", ".join(choices.SOURCES))))
    labels = schema.get("x-enum-labels")
    if not isinstance(labels, dict) or "enum" not in schema:
        return found
    return found + [((*path, "x-enum-labels", lang),
             problem("form_enum_labels", field, None, **_named(field), lang=lang, count=len(schema["enum"])))
            for lang in ("en", "zh") if len(labels.get(lang) or []) != len(schema["enum"])]


def _duplicate_fields(schema: dict) -> list[tuple[tuple, Problem]]:
    """A field (a titled property) declared in two parts of a form that fill the same data: its ``properties`` and
    its ``allOf``/``then``/... parts. Restating a field without a title (``if: {properties: {x: {const: ...}}}``)
    is a condition on it, not a second field."""
    seen, found = set(), []
    for part, path in _parts(schema, (), FIELD_PARTS):
        for name, spec in part.get("properties", {}).items():
            if isinstance(spec, dict) and "title" in spec:
                if name in seen:
                    found.append(((*path, "properties", name), problem("form_duplicate_field", name, None, field=name)))
                seen.add(name)
    return found


def _parts(schema: dict, path: tuple, keys: tuple[str, ...]) -> list[tuple[dict, tuple]]:
    """The schema and its sub-schemas under ``keys`` (allOf, then, ...), each with its path, nested ones too."""
    parts = [(schema, path)]
    for key in keys:
        value = schema.get(key)
        subs = enumerate(value) if isinstance(value, list) else [(None, value)] if isinstance(value, dict) else []
        for index, sub in subs:
            if isinstance(sub, dict):
                parts += _parts(sub, (*path, key) if index is None else (*path, key, index), keys)
    return parts


def _unknown_fields(schema: dict) -> list[tuple[tuple, Problem]]:
    """A name that ``required``, ``x-order`` or a condition (if/then/else, allOf, ...) gives and that is no field of
    the form: a field renamed or removed and not followed there. The rule would never apply, or the form could
    never be filled in."""
    fields = form_fields(schema)
    return [(path, problem("form_unknown_field", name, None, field=name, **_rule_of(path),
                           fields=", ".join(sorted(fields)) or "-"))
            for name, path in _references(schema) if name not in fields]


def _references(schema: dict) -> list[tuple[str, tuple]]:
    """Each field name the form's rules give, with its path."""
    found = []
    for part, path in _parts(schema, (), CONDITION_PARTS):
        if path:  # a condition part: the fields it tests
            found += [(name, (*path, "properties", name)) for name in part.get("properties", {})]
        found += [(name, (*path, "required", n)) for n, name in enumerate(part.get("required", []))]
        found += [(name, (*path, "dependentRequired", key, *([n] if n is not None else [])))
                  for key, names in part.get("dependentRequired", {}).items()
                  for n, name in [(None, key), *enumerate(names)]]
        if _is_order(part.get("x-order", [])):
            found += [(name, (*path, "x-order", n, m)) for n, pair in enumerate(part.get("x-order", []))
                      for m, name in enumerate(pair)]
    return found


def _order_problems(schema: dict) -> list[tuple[tuple, Problem]]:
    """``x-order`` is a list of [earlier, later] pairs of field names; anything else would fail every submission."""
    return [((*path, "x-order"), problem("form_order", None, None))
            for part, path in _parts(schema, (), CONDITION_PARTS)
            if "x-order" in part and not _is_order(part["x-order"])]


def _is_order(pairs) -> bool:
    return isinstance(pairs, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(name, str) for name in pair) for pair in pairs)


def _rule_of(path: tuple) -> dict:
    """Which rule of the form names the field, in both languages."""
    if "x-order" in path:
        return {"rule": "x-order", "rule_zh": "x-order（先后顺序）"}
    if "dependentRequired" in path:
        return {"rule": "dependentRequired", "rule_zh": "关联必填（dependentRequired）"}
    if any(key in CONDITION_PARTS for key in path):
        return {"rule": "a condition (if/then/else, allOf, ...)", "rule_zh": "条件（if/then/else、allOf 等）"}
    return {"rule": "required", "rule_zh": "必填列表（required）"}


def unused_decisions(diagrams: list[Read], tables: list[Read]) -> list[Problem]:
    """A decision no business rule task of the bundle's diagrams calls (nor another decision requires) never runs:
    most likely a task names it wrongly."""
    called = set().union(*(decisions.called(diagram.root) for diagram in diagrams))
    required = {name for table in tables for decision in table.decisions for name in decisions.required(decision)}
    return [replace(problem("decision_unused", decision.get("id"), decision.sourceline, decision=decision.get("id"),
                            called=", ".join(sorted(called)) or "-"), file=table.name)
            for table in tables for decision in table.decisions if decision.get("id") not in called | required]


def decisions_twice(tables: list[Read]) -> list[Problem]:
    """A decision id the bundle's tables hold twice, on the second: which one a task would run is left to chance."""
    first, problems = {}, []
    for table in tables:
        for decision in table.decisions:
            if decision.get("id") in first:
                problems.append(replace(problem("decision_twice", decision.get("id"), decision.sourceline,
                                                decision=decision.get("id"), other=first[decision.get("id")]),
                                        file=table.name))
            first.setdefault(decision.get("id"), table.name)
    return problems


def in_files(problems: list[Problem], diagram: Read, others: list[Read]) -> list[Problem]:
    """Name the file of each problem of a diagram's check that has none yet: the first of ``others`` (its decision
    tables, then the diagrams of the bundle it calls) holding its element, else the diagram."""
    owner = {}
    for other in others:
        for node in other.root.iter():
            if isinstance(node.tag, str) and node.get("id"):
                owner.setdefault(node.get("id"), other.name)
    return [p if p.file else replace(p, file=owner.get(p.element_id, diagram.name)) for p in problems]
