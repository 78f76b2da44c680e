"""Per-process Python that diagrams refer to by name: form schemas (and later handlers and SLA policies).

``FORMS`` maps a form key, as written in a task's ``form`` property, to its JSON Schema.
"""

from workflows import red_fault

FORMS: dict[str, dict] = {**red_fault.FORMS}
