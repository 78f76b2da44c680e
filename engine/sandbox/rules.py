"""The rules diagram code runs under, inside an evaluator process (see `engine.sandbox`).

RestrictedPython supplies the mechanism: it compiles code so that attribute access, subscripts,
iteration and unpacking call guard functions of ours, and its policy class can be narrowed. KeyDesk
narrows it to what a condition or a small script needs (no imports, def/lambda/class, while,
try/with/raise, str.format), offers a short list of builtins, reads attributes only on plain data,
and bounds the work: every loop iteration counts against a step budget and a deadline, and the
operations that build a big value in one C call (``*``, ``**``, ``<<``, ``+``, ``%``, padding,
replace, join, extend) are sized before they run, so that most runaway code stops with its line.

These checks are the first line only. A single C call they do not see (``(1).to_bytes(2*10**9, 'big')``,
``[*a, *a]``, ``str([s] * 400)``, comparing deep shared lists) is stopped by the evaluator process's
hard limits instead: `check` runs in the web process at deploy, `run` only in an evaluator process.
"""

import ast
import builtins
import functools
import math
import operator
import re
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from types import CodeType

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr_raise
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

_FILENAME = "<string>"  # SpiffWorkflow reads a script's error line from the frames of this file
MAX_SIZE = 10_000_000  # items or characters that sized operations may build in one run
MAX_INT_BITS = 10_000  # about 3000 decimal digits
MAX_ROUND_DIGITS = 100
TIME_LIMIT = "time limit exceeded"
MEMORY_PROBLEM = {"line": None, "message": "memory limit exceeded: the code needed more memory than an evaluation "
                  "may use", "message_zh": "超出内存限制：代码所需内存超过单次求值的上限"}
_HUGE_WIDTH = re.compile(r"[1-9]\d{4}")  # a width or precision of 10000 or more in a format spec


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a piece of diagram code."""

    line: int | None  # line within the snippet (1-based), None if unknown
    message: str
    message_zh: str = ""  # the hard limits say it in Chinese too; the rules speak to developers in English


class SandboxViolation(Exception):
    """Diagram code broke a rule or a limit while running."""

    def __init__(self, problem: Problem):
        where = "" if problem.line is None else f"line {problem.line}: "
        super().__init__(where + problem.message)
        self.problem = problem


# --- compile time: what diagram code may say ---

_REFUSED_NODES = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.While: "while loops are not allowed (loop with for over data)",
    ast.FunctionDef: "function definitions are not allowed",
    ast.AsyncFunctionDef: "function definitions are not allowed",
    ast.Lambda: "lambda is not allowed",
    ast.ClassDef: "class definitions are not allowed",
    ast.Global: "global and nonlocal are not allowed",
    ast.Nonlocal: "global and nonlocal are not allowed",
    ast.Try: "try/except is not allowed (a failing task is reported to the supervisor)",
    ast.TryStar: "try/except is not allowed (a failing task is reported to the supervisor)",
    ast.Raise: "raise is not allowed (route with a gateway or an error end event)",
    ast.Assert: "assert is not allowed (route with a gateway or an error end event)",
    ast.With: "with blocks are not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
    ast.Match: "match statements are not allowed",
}
_FORBIDDEN_NAMES = frozenset({
    "open", "eval", "exec", "compile", "getattr", "setattr", "delattr", "globals", "locals", "vars",
    "breakpoint", "print", "printed", "builtins",
})
_REFUSED_ATTRIBUTES = {
    "format": "str.format can read attributes of its arguments; use an f-string",
    "format_map": "str.format_map can read attributes of its arguments; use an f-string",
    "translate": "str.translate can build a huge string in one call; use replace",
}
_GUARDED_OPERATORS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, narrowed to what diagram code needs (see the module docstring)."""

    def error(self, node, info):
        # keep the node rather than RestrictedPython's text, so that `_compile` can quote the line
        self.errors.append((node, info[0].lower() + info[1:].rstrip(".")))

    def not_allowed(self, node):
        self.error(node, f"'{type(node).__name__}' is not allowed in diagram code")

    def visit(self, node):
        refused = _REFUSED_NODES.get(type(node))
        if refused:
            self.error(node, refused)
            return node
        return super().visit(node)

    def check_name(self, node, name, allow_magic_methods=False):
        if name and name.startswith("_") and name != "_":
            self.error(node, f"'{name}' is not allowed (names starting with '_' are reserved)")

    def visit_Name(self, node):
        if node.id in _FORBIDDEN_NAMES:  # before RestrictedPython, which rewrites `print` unchecked
            self.error(node, f"'{node.id}' is not available in diagram code")
            return node
        return super().visit_Name(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_"):
            self.error(node, f"'.{node.attr}' is not allowed (attributes starting with '_' are reserved)")
        elif node.attr in _REFUSED_ATTRIBUTES:
            self.error(node, f"'.{node.attr}' is not allowed ({_REFUSED_ATTRIBUTES[node.attr]})")
        elif not isinstance(node.ctx, ast.Load):
            self.error(node, "setting or deleting attributes is not allowed")
        else:
            return super().visit_Attribute(node)
        return self.node_contents_visit(node)

    def visit_BinOp(self, node):
        """Route the operators that can build a huge value through the `_binop_` guard."""
        node = super().visit_BinOp(node)
        symbol = _GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(ast.Name("_binop_", ast.Load()), [ast.Constant(symbol), node.left, node.right], [])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node):
        spec = node.format_spec
        if spec is not None and not all(isinstance(part, ast.Constant) for part in spec.values):
            self.error(node, "f-string format specs must be written out, not computed")
        elif spec is not None and _HUGE_WIDTH.search("".join(part.value for part in spec.values)):
            self.error(node, "f-string widths and precisions must be below 10000")
        return super().visit_FormattedValue(node)


_COMPILERS = {"eval": compile_restricted_eval, "exec": compile_restricted_exec}


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: str) -> tuple[CodeType | None, tuple[Problem, ...]]:
    """Parse, check and compile one snippet; cached because the same condition runs thousands of times."""
    try:
        tree = ast.parse(source, _FILENAME, mode)
        result = _COMPILERS[mode](tree, _FILENAME, policy=_Policy)
    except SyntaxError as err:
        return None, (_located(source, err.lineno or None, f"syntax error ({err.msg})"),)
    except (RecursionError, MemoryError):
        return None, (Problem(None, "the code is nested too deeply to be read"),)
    found = {}  # rules firing on the same spot (a call and its name, an attribute chain) report once
    for node, message in result.errors:
        spot = (getattr(node, "lineno", None) or 0, getattr(node, "col_offset", None) or 0)
        found.setdefault(spot, _located(source, spot[0] or None, message))
    return result.code, tuple(found[spot] for spot in sorted(found))


def _located(source: str, line: int | None, message: str) -> Problem:
    """A problem quoting the line it is on."""
    lines = source.splitlines()
    if line is None or not 0 < line <= len(lines):
        return Problem(line, message)
    text = lines[line - 1].strip()
    return Problem(line, f"{message}: '{text if len(text) <= 80 else text[:77] + '...'}'")


def _checked(source, mode: str) -> tuple[CodeType | None, tuple[Problem, ...]]:
    if not isinstance(source, str):
        return None, (Problem(None, f"code must be text, not {type(source).__name__}"),)
    return _compile(source.lstrip(" \t") if mode == "eval" else source, mode)  # as eval() strips them


def check(source: str, mode: str) -> list[Problem]:
    """Every rule the snippet breaks, each with its line; [] when it may run. Bad code never raises."""
    if mode not in _COMPILERS:
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    return list(_checked(source, mode)[1])


# --- run time: the guards RestrictedPython's rewritten code calls ---


def _violation(message: str) -> SandboxViolation:
    """A violation located at the line of diagram code that is running."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename != _FILENAME:
        frame = frame.f_back
    return SandboxViolation(Problem(frame.f_lineno if frame else None, message))


def _writable(obj):
    """`x[k] = v` and `del x[k]` go through here: only lists and dicts are changed in place."""
    if type(obj) in (dict, list):
        return obj
    raise _violation(f"items of {type(obj).__name__} values cannot be changed")


def _apply(function, *args, **kwargs):
    """Calls with *args or **kwargs go through here."""
    return function(*args, **kwargs)


def _round(number, ndigits=None):
    """round() to at most 100 digits: round(5, -10**9) would compute 10**(10**9)."""
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise _violation(f"round() is limited to {MAX_ROUND_DIGITS} digits")
    return round(number, ndigits)


def _sum(values, /, start=0):
    """sum() of numbers or durations: summing lists or strings copies them over and over."""
    if not isinstance(start, int | float | timedelta):
        raise _violation("sum() adds numbers or timedeltas only")
    return sum(values, start)


def _import_for_dates(name, *args, **kwargs):
    """The C datetime code imports `time` and `_strptime` through the running code's builtins.

    Diagram code itself cannot reach this: names starting with '_' are refused when it is compiled.
    """
    if name not in ("time", "_strptime"):
        raise _violation(f"imports are not allowed: '{name}'")
    return builtins.__import__(name, *args, **kwargs)


_BUILTINS = {
    **{name: safe_builtins[name] for name in ("abs", "bool", "float", "int", "isinstance", "len", "str")},
    # RestrictedPython leaves these out because they iterate in C, past `_getiter_`; here they only
    # walk values that already exist, and the guards bound how big those can get
    **{name: getattr(builtins, name) for name in (
        "all", "any", "dict", "enumerate", "list", "max", "min", "set", "sorted", "tuple", "zip")},
    "round": _round,
    "sum": _sum,
    "date": date,
    "datetime": datetime,
    "timedelta": timedelta,
    "timezone": timezone,
    "__import__": _import_for_dates,
    "_getitem_": default_guarded_getitem,
    "_write_": _writable,
    "_apply_": _apply,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
}
# what diagram code may call (range is bounded per run, below)
BUILTIN_NAMES = frozenset({*(name for name in _BUILTINS if not name.startswith("_")), "range"})
_VALUE_TYPES = frozenset({
    str, int, float, bool, list, dict, tuple, set, frozenset, type(None), date, datetime, timedelta, timezone,
})
_CLASSES_WITH_ATTRIBUTES = (date, datetime, timedelta, timezone)  # e.g. datetime.now, timezone.utc
_RESULT_SIZE = {  # how much a str/list method can build, estimated before the call
    (str, "center"): lambda s, width, *_: width,
    (str, "ljust"): lambda s, width, *_: width,
    (str, "rjust"): lambda s, width, *_: width,
    (str, "zfill"): lambda s, width: width,
    (str, "expandtabs"): lambda s, tabsize=8: len(s) + s.count("\t") * tabsize,
    (str, "replace"): lambda s, old, new, *_: len(s) + s.count(old) * len(new),
    (str, "join"): lambda s, items: len(s) * len(items) + sum(len(i) for i in items if type(i) is str),
    (list, "extend"): lambda s, items: len(items),
}
_OPERATORS = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
}
_INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    "@=": operator.imatmul,
}


def _is_sequence(value) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def result_bits(op: str, left: int, right: int) -> float:
    """Roughly how many bits `left op right` has, without computing it."""
    if op == "*":
        return left.bit_length() + right.bit_length()
    if op == "**" and right > 0 and abs(left) > 1:
        return min(right, MAX_INT_BITS + 1) * math.log2(abs(left))
    if op == "<<" and left and right > 0:
        return left.bit_length() + right
    return 0


def result_length(op: str, left, right) -> int:
    """How many items or characters `left op right` builds from sequences, without building it."""
    if op == "+" and _is_sequence(left) and _is_sequence(right):
        return len(left) + len(right)
    if op == "*":
        sequence, count = (left, right) if _is_sequence(left) else (right, left)
        if _is_sequence(sequence) and isinstance(count, int):
            return len(sequence) * count
    return 0


def _is_iterator(value) -> bool:
    return hasattr(type(value), "__iter__") and not hasattr(type(value), "__len__")


class _Run:
    """One run of diagram code: its step, time and size budgets, and the guards that spend them."""

    def __init__(self, max_steps: int, max_seconds: float):
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.deadline = time.monotonic() + max_seconds
        self.steps = 0
        self.size = 0

    def builtins(self) -> dict:
        return {**_BUILTINS, "range": self.bounded_range, "_getiter_": self.getiter,
                "_getattr_": self.getattr, "_binop_": self.binop, "_inplacevar_": self.inplacevar}

    def step(self):
        self.steps += 1
        if self.steps > self.max_steps:
            raise _violation(f"step limit exceeded: more than {self.max_steps:,} loop iterations")
        if time.monotonic() > self.deadline:
            raise _violation(f"{TIME_LIMIT}: the code ran longer than {self.max_seconds:g} s")

    def charge(self, size: int, what: str):
        self.size += max(size, 0)
        if self.size > MAX_SIZE:
            raise _violation(f"size limit exceeded: {what} would build {size:,} more items, "
                             f"over the {MAX_SIZE:,} that one run may build")

    def getiter(self, iterable):
        """`for` loops and comprehensions iterate through here, one step per item."""
        for item in iterable:
            self.step()
            yield item

    def bounded_range(self, *args):
        """range() with no more numbers than the loop budget could step through."""
        numbers = range(*args)
        try:
            too_long = len(numbers) > self.max_steps
        except OverflowError:
            too_long = True
        if too_long:
            raise _violation(f"range() is limited to {self.max_steps:,} numbers")
        return numbers

    def getattr(self, obj, name: str):
        """`obj.name`: public attributes of plain data and of the date classes only."""
        if type(obj) not in _VALUE_TYPES and not any(obj is cls for cls in _CLASSES_WITH_ATTRIBUTES):
            raise _violation(f"'.{name}' is not available: attributes are read on plain data only, "
                             f"not on {type(obj).__name__} values")
        if name.startswith("_") or name in _REFUSED_ATTRIBUTES:
            raise _violation(f"'.{name}' is not allowed")
        try:
            value = safer_getattr_raise(obj, name)
        except NotImplementedError as err:  # RestrictedPython's refusal of str.format and the like
            raise _violation(str(err)) from None
        estimate = _RESULT_SIZE.get((type(obj), name))
        return value if estimate is None else self._sized(obj, name, value, estimate)

    def _sized(self, obj, name: str, method, estimate):
        """`method` with its result's size charged before it runs."""
        def call(*args, **kwargs):
            args = tuple(list(self.getiter(arg)) if _is_iterator(arg) else arg for arg in args)
            try:
                size = estimate(obj, *args, **kwargs)
            except (TypeError, ValueError):
                size = 0  # bad arguments: the method itself says what is wrong
            self.charge(size, f"'.{name}()'")
            return method(*args, **kwargs)
        return call

    def binop(self, op: str, left, right):
        self._size_up(op, left, right)
        return _OPERATORS[op](left, right)

    def inplacevar(self, op: str, left, right):
        """`x op= y`; a list grows in place, so only its growth is charged."""
        self._size_up(op[:-1], left, right, reused=len(left) if type(left) is list else 0)
        return _INPLACE_OPERATORS[op](left, right)

    def _size_up(self, op: str, left, right, reused: int = 0):
        """Refuse an operation whose result would be too big, before it is computed."""
        if op == "%" and isinstance(left, str | bytes):
            raise _violation("'%' formatting of text is not allowed (use an f-string)")
        if isinstance(left, int) and isinstance(right, int):
            if result_bits(op, left, right) > MAX_INT_BITS:
                raise _violation(f"'{op}' would make a number of more than {MAX_INT_BITS:,} bits")
        else:
            self.charge(result_length(op, left, right) - reused, f"'{op}'")


def run(source, mode: str, scope: dict, max_steps: int, max_seconds: float):
    """Run checked code on `scope` (names to values); an expression's value, or None for a script."""
    code, problems = _checked(source, mode)
    if problems:
        raise SandboxViolation(problems[0])
    scope["__builtins__"] = _Run(max_steps, max_seconds).builtins()
    return eval(code, scope)  # runs exec-mode code as well, returning None
