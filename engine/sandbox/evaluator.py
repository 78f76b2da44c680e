"""An evaluator process: runs diagram code for KeyDesk under hard limits, one request at a time.

Started by `engine.sandbox.pool` as ``python -m engine.sandbox.evaluator MEMORY_MB`` with an empty
environment. It caps its own address space (RLIMIT_AS), and forbids itself new processes and
written files, before it reads anything; then it answers
requests on stdin/stdout, each a frame (4-byte length, then JSON). Before each request it moves its
CPU limit (RLIMIT_CPU) to what it has used plus the request's allowance; the kernel ends it when it
goes over, and the pool ends it at the wall limit.

One request is one whole evaluation: an expression or a script, the task data it sees, and its
budgets; the answer is the expression's value, or the task data the script changed and deleted.
A message's template parts are rendered the same way (`engine.sandbox.text_templates`).
"""

import json
import math
import resource
import struct
import sys
import traceback

from engine.sandbox import rules, text_templates, wire

HEADER = struct.Struct(">I")
READY = {"ready": True}


def handle(request: dict) -> dict:
    """Answer one request; diagram code that fails becomes a `problem` or an `error`, never an exception."""
    try:
        return _evaluate(request)
    except rules.SandboxViolation as err:
        return {"problem": {"line": err.problem.line, "message": err.problem.message,
                            "message_zh": err.problem.message_zh}}
    except MemoryError:
        return {"retire": True, "problem": dict(rules.MEMORY_PROBLEM)}
    except RecursionError:
        return {"problem": {"line": None, "message": "the values are nested too deeply to evaluate",
                            "message_zh": "数据嵌套过深，无法求值"}}
    except Exception as err:  # noqa: BLE001 - an ordinary error of diagram code (NameError, TypeError, ...)
        return {"error": {"type": type(err).__name__, "message": str(err)[:2000], "line": _line_of(err)}}


def _evaluate(request: dict) -> dict:
    if request["mode"] == "template":
        return text_templates.answer(request)
    data, external = wire.read(request["data"]), wire.read(request["external"])
    scope = {**external, **data}
    limits = request["max_steps"], request["max_seconds"]
    if request["mode"] == "eval":
        result = rules.run(request["source"], "eval", scope, *limits)
        return {"result": wire.plain(result, "the result", request["max_chars"])}
    rules.run(request["source"], "exec", scope, *limits)
    kept = {name: value for name, value in scope.items()
            if not name.startswith("_") and name not in external and not callable(value)}
    written = wire.plain_data(kept, request["max_chars"])  # the whole task data, checked
    before = request["data"]
    return {"changed": {name: value for name, value in written.items() if name not in before or before[name] != value},
            "deleted": [name for name in before if name not in written]}


def _line_of(err: Exception) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__) if frame.filename == "<string>"]
    return lines[-1] if lines else None


def read_frame(stream) -> dict | None:
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    return json.loads(stream.read(length))


def frame(message: dict) -> bytes:
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
    return HEADER.pack(len(body)) + body


def _limit_cpu(seconds: float) -> None:
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(used.ru_utime + used.ru_stime + seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))


def main(memory_mb: int) -> None:
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # should code ever get past the rules: no new processes,
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # and no file written
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but frames goes to the pool
    replies.write(frame(READY))
    replies.flush()
    while (request := read_frame(requests)) is not None:
        _limit_cpu(request["cpu_seconds"])
        reply = handle(request)
        replies.write(frame(reply))
        replies.flush()
        if reply.get("retire"):  # after a MemoryError nothing in this process is trusted any more
            return


if __name__ == "__main__":
    main(int(sys.argv[1]))
