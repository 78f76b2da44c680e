"""The bundle as a whole: its forms, its decision tables and which file each problem is in.

A deployment is one BPMN file with its DMN files and ``<form key>.form.json`` files; a supervisor fixing it
needs to know the file as well as the element (or the form field) and the line.
"""

from dataclasses import replace

from jsonschema import Draft202012Validator
from lxml import etree

from engine.checks.dataflow import FIELD_PARTS
from engine.diagrams import NS, DiagramRejected, Problem, problem, read_xml
from engine.forms.files import SUFFIX

META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
TITLES = ("title", "x-title-zh")


def read_tables(dmn_xmls: list[bytes | str], names: list[str]) -> tuple[list[etree._Element], list[Problem]]:
    """The bundle's decision tables, or the problem of each file KeyDesk will not read, naming it."""
    tables, problems = [], []
    for xml, name in zip(dmn_xmls, names, strict=True):
        try:
            tables.append(read_xml(xml, "decision table"))
        except DiagramRejected as err:
            problems.append(replace(err.problem, file=name))
    return tables, problems


def form_problems(forms: dict[str, dict]) -> list[Problem]:
    """Each bundled form that is not a JSON Schema (draft 2020-12), lacks an English or Chinese title on itself
    or a field, has choice labels that do not match its choices, or declares a field twice."""
    problems = []
    for key, schema in forms.items():
        found = [problem("form_schema", _field_of(list(error.absolute_path)), None,
                         path="/".join(str(p) for p in error.absolute_path) or "/", detail=error.message)
                 for error in META.iter_errors(schema)]
        if not found:
            found = [*_title_problems(schema, None), *_duplicate_fields(schema)]
        problems += [replace(p, file=f"{key}{SUFFIX}") for p in found]
    return problems


def _field_of(path: list) -> str | None:
    """The field a schema path points into: ``properties/amount/minimum`` -> ``amount``."""
    fields = [path[i + 1] for i in range(len(path) - 1) if path[i] == "properties"]
    return str(fields[-1]) if fields else None


def _title_problems(schema: dict, field: str | None) -> list[Problem]:
    """Titles in both languages on the form and every field (nested ones too), choice labels matching the choices."""
    found = [problem("form_title", field, None, **_named(field), attribute=attribute)
             for attribute in TITLES if not str(schema.get(attribute, "")).strip()]
    found += _choice_problems(schema, field)
    for name, spec in schema.get("properties", {}).items():
        if isinstance(spec, dict):
            found += _title_problems(spec, f"{field}.{name}" if field else name)
            items = spec.get("items")
            if isinstance(items, dict):
                found += _item_problems(items, name)
    return found


def _named(field: str | None) -> dict:
    return {"field": field or "the form", "field_zh": field or "表单"}


def _item_problems(items: dict, field: str) -> list[Problem]:
    """A list field's entries: an object's fields need titles; a choice's labels must match its choices."""
    if items.get("type") == "object":
        return [p for name, spec in items.get("properties", {}).items() if isinstance(spec, dict)
                for p in _title_problems(spec, f"{field}.{name}")]
    return _choice_problems(items, field)


def _choice_problems(schema: dict, field: str | None) -> list[Problem]:
    """``x-enum-labels`` gives each choice of the ``enum`` a label in English and in Chinese, in order."""
    labels = schema.get("x-enum-labels")
    if not isinstance(labels, dict) or "enum" not in schema:
        return []
    return [problem("form_enum_labels", field, None, **_named(field), lang=lang, count=len(schema["enum"]))
            for lang in ("en", "zh") if len(labels.get(lang) or []) != len(schema["enum"])]


def _duplicate_fields(schema: dict) -> list[Problem]:
    """A field (a titled property) declared in two parts of a form that fill the same data: its ``properties`` and
    its ``allOf``/``then``/... parts. Restating a field without a title (``if: {properties: {x: {const: ...}}}``)
    is a condition on it, not a second field."""
    seen, found = set(), []
    for part in _parts(schema):
        for name, spec in part.get("properties", {}).items():
            if isinstance(spec, dict) and "title" in spec:
                if name in seen:
                    found.append(problem("form_duplicate_field", name, None, field=name))
                seen.add(name)
    return found


def _parts(schema: dict) -> list[dict]:
    parts = [schema]
    for key in FIELD_PARTS:
        value = schema.get(key)
        for sub in value if isinstance(value, list) else [value] if isinstance(value, dict) else []:
            parts += _parts(sub) if isinstance(sub, dict) else []
    return parts


def unused_decisions(root: etree._Element, tables: list[etree._Element], names: list[str]) -> list[Problem]:
    """A decision no business rule task of the diagram calls (nor another decision requires) never runs:
    most likely a task names it wrongly."""
    called = {(node.text or "").strip() for node in root.iterfind(".//spiffworkflow:calledDecisionId", NS)}
    required = {(node.get("href") or "").lstrip("#") for table in tables for node in table.iter("{*}requiredDecision")}
    return [replace(problem("decision_unused", decision.get("id"), decision.sourceline, decision=decision.get("id"),
                            called=", ".join(sorted(called)) or "-"), file=name)
            for table, name in zip(tables, names, strict=True) for decision in table.iter("{*}decision")
            if decision.get("id") not in called | required]


def in_files(problems: list[Problem], bpmn_name: str, tables: list[etree._Element], names: list[str]
             ) -> list[Problem]:
    """Name the file of each problem that has none yet: the decision table holding its element, else the diagram."""
    owner = {node.get("id"): name for table, name in zip(tables, names, strict=True)
             for node in table.iter() if isinstance(node.tag, str) and node.get("id")}
    return [p if p.file else replace(p, file=owner.get(p.element_id, bpmn_name)) for p in problems]
