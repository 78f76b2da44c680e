"""Task forms: JSON Schemas with KeyDesk's bilingual ``x-`` extensions, kept as ``<form key>.form.json`` files.

``validation`` checks a submitted form against its schema; ``files`` reads form files, those of a deployment
bundle and the shipped ones under ``bpmn/``.
"""

from engine.forms.validation import enum_labels, label, validate

__all__ = ["enum_labels", "label", "validate"]
