"""Message templates (Jinja2) rendered in an evaluator process, bounded like diagram code.

An admin's template is code too: nested ``range(100000)`` loops or ``('a' * 400000000) | length`` would
hang or bloat the process that renders it. Here the parts of a message (subject and body) are one request to the
pool (`render`); in the evaluator (`answer`) Jinja's sandbox refuses operators that would build a value
over the output limit before they run, ``range`` counts its steps against a budget and a deadline shared by the
parts, and each part's output stops at its limit; what still runs away meets the process's hard limits.
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
    """A template part that does not render, with its line when known (and its part: None when the process was
    stopped while it rendered several)."""

    def __init__(self, part: str | None, line: int | None, reason: str):
        super().__init__(reason)
        self.part, self.line, self.reason = part, line, reason


def render(parts: dict[str, str], context: dict, strict: bool, open_keys=()) -> dict[str, str]:
    """Each part's source (``{"subject": ..., "body": ...}``) rendered with `context` in one evaluator request.

    `strict`: an unknown name is an error rather than empty. `open_keys`: paths of dicts in the context
    that answer any key (the sample data of the check, where a process may put anything). A request the pool
    stopped (time or CPU) names no part: each part is then rendered alone, so that the problem names its own.
    """
    try:
        return _rendered(parts, context, strict, open_keys)
    except TemplateProblem as problem:
        if problem.part is not None or len(parts) == 1:
            raise
    return {part: _rendered({part: source}, context, strict, open_keys)[part] for part, source in parts.items()}


def _rendered(parts: dict[str, str], context: dict, strict: bool, open_keys) -> dict[str, str]:
    context_chars = 3 * limits.max_state_bytes()  # the task data, its labels and the ticket's data: each bounded
    request = {"mode": "template", "parts": list(parts.items()), "strict": strict, "open_keys": list(open_keys),
               "cpu_seconds": MAX_SECONDS + 1, "data": wire.plain_data(context, context_chars)}
    try:
        reply = pool.send(request, MAX_SECONDS + 1,
                          sum(4 * MAX_OUTPUT[part] + len(source) for part, source in parts.items()))
    except rules.SandboxViolation as err:
        raise TemplateProblem(next(iter(parts)) if len(parts) == 1 else None, None, err.problem.message) from None
    if "problem" in reply:
        problem = reply["problem"]
        raise TemplateProblem(problem.get("part", next(iter(parts))), problem["line"], problem["message"])
    texts = reply.get("texts")
    if not isinstance(texts, dict) or set(texts) != set(parts) or not all(isinstance(t, str) for t in texts.values()):
        raise pool.WorkerFailed("the evaluator answered no text for each part")
    return texts


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
    """Render the parts in this (evaluator) process: each one's text, or the first problem with its part and line.
    Each part sees the context as sent (a template cannot change what the next one sees); the parts share one
    deadline, as they share the request's time limit."""
    bounded_range = _bounded_range(time.monotonic() + MAX_SECONDS)
    texts = {}
    for part, source in request["parts"]:
        try:
            texts[part] = _part(request["strict"], part, source, {**_context(request), "range": bounded_range})
        except TemplateProblem as problem:
            return {"problem": {"part": part, "line": problem.line, "message": problem.reason, "message_zh": ""}}
        except MemoryError:  # the evaluator retires
            return {"retire": True, "problem": {**rules.MEMORY_PROBLEM, "part": part}}
    return {"texts": texts}


def _context(request: dict) -> dict:
    context = wire.read(request["data"])
    for path in request["open_keys"]:
        holder = context
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = _AnyKey(holder[path[-1]])
    return context


def _part(strict: bool, part: str, source: str, context: dict) -> str:
    try:
        template = _compiled(strict, part, source)
        chunks, size, output = [], 0, template.generate(context)
        for chunk in output:
            size += len(chunk)
            if size > MAX_OUTPUT[part]:
                raise TemplateProblem(part, _running_line(template, output),
                                      f"the {part} would be longer than {MAX_OUTPUT[part]:,} characters")
            chunks.append(chunk)
    except TemplateSyntaxError as err:
        raise TemplateProblem(part, err.lineno, err.message or str(err)) from None
    except (TemplateProblem, MemoryError):
        raise
    except Exception as err:  # noqa: BLE001 - the sandbox's refusals, unknown names, errors in filters
        lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if frame.filename == part]
        raise TemplateProblem(part, lines[-1] if lines else None, f"{err.__class__.__name__}: {err}") from None
    return "".join(chunks)


def _running_line(template, output) -> int | None:
    """The template line whose output is being written (Jinja's generate yields from the compiled code)."""
    running = output.gi_yieldfrom
    return template.get_corresponding_lineno(running.gi_frame.f_lineno) if running and running.gi_frame else None


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
