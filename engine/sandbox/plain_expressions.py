"""The plainest diagram expressions, worked out in KeyDesk's own process instead of an evaluator's.

Most expressions a step evaluates are a constant (``'tech'``), a name (``fault_level``), a comparison
(``fault_level == 1``), a choice between constants, or a short text built from the data. Each was a round trip to
an evaluator process, about a tenth of a step's cost (issue 17). ``value`` walks the parsed expression itself
when it uses nothing but:
- constants, and tuples, lists, sets and dicts of them written in the expression;
- names of the task's data (not starting with '_') or predefined ones (a decision table's input), and
  ``name[constant]`` on a dict or list of them;
- comparisons, ``and``/``or``/``not``, ``x if c else y``, ``+``/``-``/``*`` of numbers, ``+`` of two texts;
- ``str(x)`` and ``len(x)`` (when the data has no such names), f-strings without a format spec;
and every value an operation touches is text, a number, a bool or None (``len`` also takes a list or dict).
These build nothing larger than the data and call no code of the data's, so nothing here can run away. Anything
else, and any error (a missing name, ``'a' < 1``), answers ``UNSURE``: the expression then goes to the evaluator
as before, which gives the same answers and the errors with their usual words.
"""

import ast
import json
import operator
from functools import lru_cache

from engine.sandbox import wire
from engine.sandbox.rules import SandboxViolation

UNSURE = object()
MAX_NODES = 64
_SCALARS = (str, int, float, bool, type(None))
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge, ast.In: lambda a, b: a in b,
            ast.NotIn: lambda a, b: a not in b, ast.Is: operator.is_, ast.IsNot: operator.is_not}
_NUMBER_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}
_CONTAINERS = {ast.Tuple: tuple, ast.List: list, ast.Set: set}


class _Unsure(Exception):
    """The expression leaves the plain subset: the evaluator answers it."""


def value(expression, data: dict, external: dict, max_chars: int):
    """The expression's value on the task data (names not starting with '_'), or UNSURE. A value that is not a
    scalar comes back as the evaluator's answer would: written out and read back as task data."""
    tree = _parsed(expression) if isinstance(expression, str) else None
    if tree is None:
        return UNSURE
    try:
        found = _Walk(data, external).value(tree)
        if type(found) in _SCALARS:
            return found
        return wire.read(json.loads(json.dumps(wire.plain(found, "the result", max_chars))))
    except (_Unsure, SandboxViolation, ArithmeticError, LookupError, TypeError, ValueError, RecursionError):
        return UNSURE


@lru_cache(maxsize=2048)
def _parsed(expression: str) -> ast.expr | None:
    """The expression's tree when it is small; None when it does not parse or is large (the evaluator's)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return tree if sum(1 for _ in ast.walk(tree)) <= MAX_NODES else None


class _Walk:
    def __init__(self, data: dict, external: dict):
        self.data, self.external = data, external

    def value(self, node: ast.expr):
        method = getattr(self, type(node).__name__, None)
        if method is None:
            raise _Unsure
        return method(node)

    def scalar(self, node: ast.expr):
        found = self.value(node)
        if type(found) not in _SCALARS:
            raise _Unsure
        return found

    def operand(self, node: ast.expr):
        """A scalar, or a container written in the expression (the right side of ``in``)."""
        if type(node) in _CONTAINERS:
            return self.value(node)
        return self.scalar(node)

    def Constant(self, node: ast.Constant):  # noqa: N802  (named after the node types)
        if type(node.value) not in _SCALARS:
            raise _Unsure
        return node.value

    def Name(self, node: ast.Name):  # noqa: N802
        """The data's value, else a predefined one (a decision table's input); the data hides predefined names
        as in the evaluator. A builtin or a missing name is the evaluator's."""
        if node.id.startswith("_"):
            raise _Unsure
        for scope in (self.data, self.external):
            if node.id in scope:
                return scope[node.id]
        raise _Unsure

    def Subscript(self, node: ast.Subscript):  # noqa: N802
        if not isinstance(node.slice, ast.Constant):
            raise _Unsure
        container = self.value(node.value)
        if type(container) not in (dict, list):
            raise _Unsure
        return container[self.Constant(node.slice)]

    def Tuple(self, node):  # noqa: N802
        return _CONTAINERS[type(node)](self.scalar(item) for item in node.elts)

    List = Set = Tuple  # noqa: N815

    def Dict(self, node: ast.Dict):  # noqa: N802
        if None in node.keys:
            raise _Unsure  # {**other}
        return {self.scalar(key): self.scalar(item) for key, item in zip(node.keys, node.values, strict=True)}

    def Compare(self, node: ast.Compare):  # noqa: N802
        left = self.scalar(node.left)
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            right = self.operand(right_node)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True

    def BoolOp(self, node: ast.BoolOp):  # noqa: N802
        found = None
        for item in node.values:
            found = self.scalar(item)
            if bool(found) == isinstance(node.op, ast.Or):
                return found
        return found

    def UnaryOp(self, node: ast.UnaryOp):  # noqa: N802
        operand = self.scalar(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if isinstance(node.op, ast.USub) and type(operand) in (int, float):
            return -operand
        raise _Unsure

    def IfExp(self, node: ast.IfExp):  # noqa: N802
        return self.value(node.body) if self.scalar(node.test) else self.value(node.orelse)

    def BinOp(self, node: ast.BinOp):  # noqa: N802
        left, right = self.scalar(node.left), self.scalar(node.right)
        numbers = all(type(side) in (int, float) for side in (left, right))
        if numbers and type(node.op) in _NUMBER_OPS:
            return _NUMBER_OPS[type(node.op)](left, right)
        if isinstance(node.op, ast.Add) and type(left) is str and type(right) is str:
            return left + right
        raise _Unsure

    def Call(self, node: ast.Call):  # noqa: N802
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in ("str", "len") or name in self.data or name in self.external or node.keywords \
                or len(node.args) != 1:
            raise _Unsure
        if name == "str":
            return str(self.scalar(node.args[0]))
        found = self.value(node.args[0])
        if type(found) not in (str, list, dict):
            raise _Unsure
        return len(found)

    def JoinedStr(self, node: ast.JoinedStr):  # noqa: N802
        return "".join(self.value(part) for part in node.values)

    def FormattedValue(self, node: ast.FormattedValue):  # noqa: N802
        if node.format_spec is not None or node.conversion not in (-1, ord("s")):
            raise _Unsure
        return str(self.scalar(node.value))

