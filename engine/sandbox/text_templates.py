"""Message templates (Jinja2) rendered in an evaluator process, bounded like diagram code.

An admin's template is code too: nested ``range(100000)`` loops or ``('a' * 400000000) | length`` would
hang or bloat the process that renders it. Here each part of a message is one request to the pool
(`render`); in the evaluator (`answer`) Jinja's sandbox refuses operators that would build a value
over the output limit before they run, ``range`` counts its steps against a budget and a deadline,
and the output stops at its limit; what still runs away meets the process's hard limits.
"""

import time
import traceback
from functools import lru_cache

from jinja2 import ChainableUndefined, StrictUndefined, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from engine.sandbox import limits, pool, rules, wire

MAX_OUTPUT = {"subject": 1_000, "body": 100_000}  # characters a rendered part may have
MAX_STEPS = 100_000  # items all range() loops of one render may yield
MAX_SECONDS = 1.0


class TemplateProblem(Exception):
    """A template part that does not render, with its line when known."""

    def __init__(self, line: int | None, reason: str):
        super().__init__(reason)
        self.line, self.reason = line, reason


def render(part: str, source: str, context: dict, strict: bool, open_keys=()) -> str:
    """`source` (the `part` of a message) rendered with `context` in an evaluator process.

    `strict`: an unknown name is an error rather than empty. `open_keys`: paths of dicts in the context
    that answer any key (the sample data of the check, where a process may put anything).
    """
    context_chars = 3 * limits.max_state_bytes()  # the task data, its labels and the ticket's data: each bounded
    request = {"mode": "template", "part": part, "source": source, "strict": strict, "open_keys": list(open_keys),
               "cpu_seconds": MAX_SECONDS + 1, "data": wire.plain_data(context, context_chars)}
    try:
        reply = pool.send(request, MAX_SECONDS + 1, 4 * MAX_OUTPUT[part] + len(source))
    except rules.SandboxViolation as err:
        raise TemplateProblem(None, err.problem.message) from None
    if "problem" in reply:
        raise TemplateProblem(reply["problem"]["line"], reply["problem"]["message"])
    if not isinstance(reply.get("text"), str):
        raise pool.WorkerFailed("the evaluator answered no text")
    return reply["text"]


# --- in the evaluator ---

class _AnyKey(dict):
    def __missing__(self, key):
        return f"<{key}>"


class _BoundedEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, with the operators that build big values sized before they run."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(self, context, operator, left, right):
        if isinstance(left, int) and isinstance(right, int):
            if rules.result_bits(operator, left, right) > rules.MAX_INT_BITS:
                raise SecurityError(f"'{operator}' would make a number of more than {rules.MAX_INT_BITS:,} bits")
        elif (size := rules.result_length(operator, left, right)) > max(MAX_OUTPUT.values()):
            raise SecurityError(f"'{operator}' would build {size:,} items, more than a message may hold")
        return super().call_binop(context, operator, left, right)


_ENVIRONMENTS = {strict: _BoundedEnvironment(undefined=StrictUndefined if strict else ChainableUndefined,
                                             autoescape=False, keep_trailing_newline=True)
                 for strict in (True, False)}


@lru_cache(maxsize=256)
def _compiled(strict: bool, part: str, source: str):
    env = _ENVIRONMENTS[strict]
    return env.template_class.from_code(env, env.compile(source, name=part, filename=part), env.make_globals(None))


def answer(request: dict) -> dict:
    """Render one part in this (evaluator) process: its text, or the problem with its line."""
    part = request["part"]
    context = wire.read(request["data"])
    for path in request["open_keys"]:
        holder = context
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = _AnyKey(holder[path[-1]])
    context["range"] = _bounded_range(time.monotonic() + MAX_SECONDS)
    try:
        template = _compiled(request["strict"], part, request["source"])
        chunks, size, output = [], 0, template.generate(context)
        for chunk in output:
            size += len(chunk)
            if size > MAX_OUTPUT[part]:
                return _problem(_running_line(template, output),
                                f"the {part} would be longer than {MAX_OUTPUT[part]:,} characters")
            chunks.append(chunk)
    except TemplateSyntaxError as err:
        return _problem(err.lineno, err.message or str(err))
    except MemoryError:
        raise  # the evaluator retires
    except Exception as err:  # noqa: BLE001 - the sandbox's refusals, unknown names, errors in filters
        lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if frame.filename == part]
        return _problem(lines[-1] if lines else None, f"{err.__class__.__name__}: {err}")
    return {"text": "".join(chunks)}


def _running_line(template, output) -> int | None:
    """The template line whose output is being written (Jinja's generate yields from the compiled code)."""
    running = output.gi_yieldfrom
    return template.get_corresponding_lineno(running.gi_frame.f_lineno) if running and running.gi_frame else None


def _problem(line: int | None, reason: str) -> dict:
    return {"problem": {"line": line, "message": reason, "message_zh": ""}}


def _bounded_range(deadline: float):
    steps = [0]

    def bounded(*args):
        numbers = range(*args)
        if len(numbers) > MAX_STEPS:
            raise SecurityError(f"range() is limited to {MAX_STEPS:,} numbers")
        for number in numbers:
            steps[0] += 1
            if steps[0] > MAX_STEPS or time.monotonic() > deadline:
                raise SecurityError(f"the template loops too long: more than {MAX_STEPS:,} steps or "
                                    f"{MAX_SECONDS:g} s")
            yield number

    return bounded
