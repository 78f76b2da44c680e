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
        schema = json.loads(content, object_pairs_hook=_without_repeats)
    except RepeatedName as err:
        raise InvalidInput(f"{file_name}: {err.name!r} is written twice in one object",
                           [{"field": "form", "file": file_name, "element_id": err.name,
                             "message": f"{err.name!r} is written twice in one object: JSON keeps only the last",
                             "message_zh": f"同一对象中 {err.name!r} 出现了两次：JSON 只保留最后一个"}]) from err
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput(f"{file_name} is not valid JSON: {err}",
                           [{"field": "form", "file": file_name, "message": f"not valid JSON: {err}",
                             "message_zh": f"不是有效的 JSON：{err}"}]) from err
    if not isinstance(schema, dict):
        raise InvalidInput(f"{file_name} must hold a JSON object",
                           [{"field": "form", "file": file_name, "message": "must hold a JSON object",
                             "message_zh": "必须是 JSON 对象"}])
    return key, schema


class RepeatedName(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _without_repeats(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object whose names are all different: a field written twice would silently lose one definition."""
    seen = set()
    for name, _ in pairs:
        if name in seen:
            raise RepeatedName(name)
        seen.add(name)
    return dict(pairs)


def read_all(files: list[tuple[str, bytes | str]]) -> dict[str, dict]:
    """The forms of a bundle by key, from (file name, content) pairs."""
    return dict(parse(name, content) for name, content in files)


def shipped(directory: Path = SHIPPED_DIR) -> dict[str, dict]:
    """The forms shipped with KeyDesk, next to their diagrams."""
    return read_all([(path.name, path.read_bytes()) for path in sorted(directory.glob(f"*{SUFFIX}"))])
