"""Form files: one JSON Schema per ``<form key>.form.json`` file, the key being what a task's ``form`` property names.

Forms are data, deployed with their diagrams as a bundle; the shipped ones lie next to the diagrams in ``bpmn/``.
"""

import json
from pathlib import Path

from engine.errors import InvalidInput

SUFFIX = ".form.json"
SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "bpmn"


def key_of(file_name: str) -> str:
    """The form key a file name gives: ``red_fault.accept.form.json`` -> ``red_fault.accept``."""
    name = Path(file_name).name
    if not name.endswith(SUFFIX) or len(name) == len(SUFFIX):
        raise InvalidInput(f"a form file is named <form key>{SUFFIX}, not {name!r}",
                           [{"field": "form", "file": name, "message": f"name it <form key>{SUFFIX}",
                             "message_zh": f"表单文件应命名为 <表单键>{SUFFIX}"}])
    return name[: -len(SUFFIX)]


def parse(file_name: str, content: bytes | str) -> tuple[str, dict]:
    """The key and schema of one form file; a file that is not a JSON object is refused, naming the file."""
    key = key_of(file_name)
    try:
        schema = json.loads(content)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{file_name} is not valid JSON: {err}",
                           [{"field": "form", "file": file_name, "message": f"not valid JSON: {err}",
                             "message_zh": f"不是有效的 JSON：{err}"}]) from err
    if not isinstance(schema, dict):
        raise InvalidInput(f"{file_name} must hold a JSON object",
                           [{"field": "form", "file": file_name, "message": "must hold a JSON object",
                             "message_zh": "必须是 JSON 对象"}])
    return key, schema


def read_all(files: list[tuple[str, bytes | str]]) -> dict[str, dict]:
    """The forms of a bundle by key, from (file name, content) pairs."""
    return dict(parse(name, content) for name, content in files)


def shipped(directory: Path = SHIPPED_DIR) -> dict[str, dict]:
    """The forms shipped with KeyDesk, next to their diagrams."""
    return read_all([(path.name, path.read_bytes()) for path in sorted(directory.glob(f"*{SUFFIX}"))])
