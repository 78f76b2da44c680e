"""Form files: one JSON Schema per ``<form key>.form.json`` file, the key being what a task's ``form`` property names.

Forms are data, deployed with their diagrams as a bundle; the shipped ones lie next to the diagrams in ``bpmn/``.
"""

import json
from pathlib import Path

from engine.errors import InvalidInput
from engine.forms.lines import MAX_DEPTH, Lines, TooDeep

SUFFIX = ".form.json"
SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "bpmn"


def key_of(file_name: str) -> str:
    """The form key a file name gives: ``red_fault.accept.form.json`` -> ``red_fault.accept``."""
    name = Path(file_name).name
    if not name.endswith(SUFFIX) or len(name) == len(SUFFIX):
        raise _refused(name, None, f"a form file is named <form key>{SUFFIX}, not {name!r}",
                       f"表单文件应命名为 <表单键>{SUFFIX}，而不是 {name!r}",
                       f"rename it <form key>{SUFFIX}", f"将其重命名为 <表单键>{SUFFIX}")
    return name[: -len(SUFFIX)]


def parse(file_name: str, content: bytes | str) -> tuple[str, dict]:
    """The key and schema of one form file; a file that is not a JSON object is refused, naming the file."""
    key, schema, _ = _read(file_name, content)
    return key, schema


def _read(file_name: str, content: bytes | str) -> tuple[str, dict, str]:
    """The key, schema and text of one form file; what is wrong with it names the file and the line."""
    key = key_of(file_name)
    try:
        text = content.decode("utf-8") if isinstance(content, bytes) else content
    except UnicodeDecodeError as err:
        raise _refused(file_name, content.count(b"\n", 0, err.start) + 1, "not UTF-8 text", "不是 UTF-8 文本",
                       "save the file as UTF-8", "将文件另存为 UTF-8 编码") from err
    try:
        schema = json.loads(text)
    except (ValueError, RecursionError) as err:  # RecursionError: nested too deeply
        raise _refused(file_name, getattr(err, "lineno", None), f"not valid JSON: {err}", f"不是有效的 JSON：{err}",
                       "fix the JSON at this line", "修正此行的 JSON") from err
    if not isinstance(schema, dict):
        first = text[: len(text) - len(text.lstrip())].count("\n") + 1  # the line its value starts on
        raise _refused(file_name, first, "must hold a JSON object", "必须是 JSON 对象",
                       "write the form as one JSON Schema object {...}", "将表单写成一个 JSON Schema 对象 {...}")
    try:
        repeats = Lines(text).repeats
    except TooDeep as err:
        raise _refused(file_name, err.line, str(err), f"嵌套超过 {MAX_DEPTH} 层", "flatten the form: a field's "
                       "settings are a few levels deep", "简化表单结构：字段的设置只需几层嵌套") from err
    if repeats:
        name, line = repeats[0]
        raise _refused(file_name, line, f"{name!r} is written twice in one object: JSON keeps only the last",
                       f"同一对象中 {name!r} 出现了两次：JSON 只保留最后一个",
                       f"keep one {name!r}", f"只保留一个 {name!r}", element_id=name)
    return key, schema, text


def _refused(file_name: str, line: int | None, message: str, message_zh: str, hint: str, hint_zh: str,
             element_id: str | None = None) -> InvalidInput:
    """A form file KeyDesk will not read, located as a diagram's problems are."""
    return InvalidInput(f"{file_name}: {message}",
                        [{"field": "form", "file": file_name, "element_id": element_id, "line": line,
                          "message": message, "message_zh": message_zh, "hint": hint, "hint_zh": hint_zh}])


def read_all(files: list[tuple[str, bytes | str]]) -> dict[str, dict]:
    """The forms of a bundle by key, from (file name, content) pairs."""
    return read_bundle(files)[0]


def read_bundle(files: list[tuple[str, bytes | str]]) -> tuple[dict[str, dict], dict[str, str]]:
    """The forms of a bundle by key, and the text of each: the bundle check locates a form's problems in it."""
    read = [_read(name, content) for name, content in files]
    return {key: schema for key, schema, _ in read}, {key: text for key, _, text in read}


def shipped(directory: Path = SHIPPED_DIR) -> dict[str, dict]:
    """The forms shipped with KeyDesk, next to their diagrams."""
    return read_all([(path.name, path.read_bytes()) for path in sorted(directory.glob(f"*{SUFFIX}"))])
