"""Task data as it crosses between KeyDesk and an evaluator process: JSON, checked on the way.

Both sides write values with `plain` (into JSON-able data) and read them back with `read`. Writing
checks the whole value: plain data only (text, numbers, lists, dicts, datetime, timedelta), at most
`MAX_DEPTH` levels deep, nothing that contains itself, and no more than a given number of characters
written out. A part shared
between several places counts each time it appears and arrives as separate copies, so what KeyDesk
reads back is always a plain tree whose size was known before it was read.
"""

from datetime import datetime, timedelta

from engine.sandbox.rules import Problem, SandboxViolation

MAX_DEPTH = 32
_TAG = "$kd"  # {"$kd": [kind, payload]} marks a value JSON has no type for
_SCALARS = (str, int, float, bool, type(None))
_KEY_TYPES = frozenset(_SCALARS)


def plain(value, what: str, max_chars: int):
    """`value` as JSON-able data, or a SandboxViolation saying what in it cannot cross."""
    return _Writer(max_chars).plain(value, what)


def plain_data(data: dict, max_chars: int) -> dict:
    """Task data (names to values) as JSON-able data, all of it within one budget of `max_chars`."""
    writer = _Writer(max_chars)
    return {name: writer.plain(value, f"'{name}'") for name, value in data.items()}


def read(obj, depth: int = 0):
    """The values `plain` wrote, from their JSON-able form (as `json.loads` returns it)."""
    if depth > 4 * MAX_DEPTH:  # a tagged container takes three JSON levels
        raise ValueError("nested too deeply")
    if type(obj) is list:
        return [read(item, depth + 1) for item in obj]
    if type(obj) is not dict:
        return obj
    if len(obj) == 1 and _TAG in obj:
        kind, payload = obj[_TAG]
        return _READERS[kind](read(payload, depth + 1))
    return {key: read(item, depth + 1) for key, item in obj.items()}


def violation(message: str, message_zh: str) -> SandboxViolation:
    return SandboxViolation(Problem(None, message, message_zh))


class _Writer:
    """One walk over a value: converts it to JSON-able data and checks it on the way."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.left = max_chars
        self.open: set[int] = set()  # containers being walked: met again inside themselves = a cycle

    def plain(self, value, what: str):
        self.what = what  # named in a refusal
        return self.value(value, 0)

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise violation(f"size limit exceeded: more than {self.max_chars:,} characters of task data written out, "
                            f"at {self.what}",
                            f"超出大小限制：写出的任务数据超过 {self.max_chars:,} 个字符（位于 {self.what}）")

    def value(self, value, depth: int):
        kind = type(value)
        if kind is str:
            self.spend(len(value) + 3)
            return value
        if kind in _SCALARS:
            self.spend(value.bit_length() // 3 + 2 if kind is int else 24)
            return value
        if kind is datetime:
            self.spend(48)
            return {_TAG: ["datetime", value.isoformat()]}
        if kind is timedelta:
            self.spend(48)
            return {_TAG: ["timedelta", [value.days, value.seconds, value.microseconds]]}
        if kind not in (list, tuple, set, frozenset, dict):
            raise violation(f"{self.what} holds a {kind.__name__} value, which task data cannot keep "
                            "(keep text, numbers, lists, dicts, datetime, timedelta)",
                            f"{self.what} 含有 {kind.__name__} 类型的值，任务数据不能保存"
                            "（请使用文本、数字、列表、字典、datetime、timedelta）")
        return self.container(value, kind, depth + 1)

    def container(self, value, kind, depth: int):
        if depth > MAX_DEPTH:
            raise violation(f"{self.what} is nested more than {MAX_DEPTH} levels deep",
                            f"{self.what} 嵌套超过 {MAX_DEPTH} 层")
        if id(value) in self.open:
            raise violation(f"{self.what} contains itself", f"{self.what} 包含自身（循环引用）")
        self.open.add(id(value))
        self.spend(2 + len(value))
        if kind is dict:
            written = self.mapping(value, depth)
        else:
            items = [self.value(item, depth) for item in value]
            written = items if kind is list else {_TAG: [kind.__name__, items]}
        self.open.discard(id(value))
        return written

    def mapping(self, value: dict, depth: int):
        if all(type(key) is str for key in value) and _TAG not in value:
            return {key: self.value(item, depth) for key, item in value.items()}
        for key in value:
            if type(key) not in _KEY_TYPES:
                raise violation(f"{self.what} has a dict key of type {type(key).__name__}",
                                f"{self.what} 含有 {type(key).__name__} 类型的字典键")
        return {_TAG: ["dict", [[self.value(key, depth), self.value(item, depth)] for key, item in value.items()]]}


_READERS = {
    "datetime": datetime.fromisoformat,
    "timedelta": lambda parts: timedelta(*parts),
    "tuple": tuple,
    "set": set,
    "frozenset": frozenset,
    "dict": dict,
}
