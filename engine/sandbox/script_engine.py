"""SpiffWorkflow's script engine for KeyDesk: expressions and scripts run in an evaluator process.

SpiffWorkflow 3.2 hands all diagram code to its script engine's `environment` (`evaluate` for
conditions, timer values, DMN cells, cardinalities and service parameters; `execute` for scripts),
passing the task's data. KeyDesk's environment sends each to the pool as one round trip: the
visible task data goes out as JSON, the value (or the names the script changed and deleted) comes
back, is checked, and only then touches the task. The plainest expressions (a constant, a name, a comparison)
are worked out here instead (engine.sandbox.plain_expressions), with the same answers.
"""

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.sandbox import bounds, limits, plain_expressions, pool, rules, wire
from engine.sandbox.rules import Problem, SandboxViolation

WALL_GRACE_SECONDS = 1.0  # past an evaluation's own deadline, before its process is killed


class DiagramCodeError(Exception):
    """An ordinary error of diagram code (NameError, TypeError, ...), raised in the evaluator."""

    def __init__(self, kind: str, message: str, line: int | None):
        super().__init__(f"{kind}: {message}")
        self.line = line


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, running every expression and script in an evaluator process.

    `send(request, wall_seconds, max_chars)` answers a request; the default is the pool. The benchmark
    passes `engine.sandbox.evaluator.handle` to measure the same work without the process boundary.
    """

    def __init__(self, max_steps: int = 100_000, max_seconds: float = 1.0, send=pool.send):
        super().__init__({})
        self.max_steps = max_steps
        self.max_seconds = max_seconds
        self.send = send

    def evaluate(self, expression, context, external_context=None):
        external_context = external_context or {}
        found = plain_expressions.value(expression, _visible(context), external_context, limits.max_state_bytes())
        if found is not plain_expressions.UNSURE:
            return found
        reply = self._round_trip("eval", expression, context, external_context)
        return pool.read_reply_data(reply["result"])

    def execute(self, script, context, external_context=None):
        external_context = external_context or {}
        if clashes := external_context.keys() & context.keys():
            raise ValueError(f"task data hides predefined names; rename these variables: {sorted(clashes)}")
        reply = self._round_trip("exec", script, context, external_context)
        changed, deleted = pool.read_reply_data(reply["changed"]), reply["deleted"]
        if not isinstance(changed, dict) or not all(_is_data_name(name) for name in [*changed, *deleted]):
            raise pool.WorkerFailed("the evaluator answered names that are not task data")
        for name in deleted:
            context.pop(name, None)
        context.update(changed)
        return True

    def call_service(self, context, **kwargs):
        raise SandboxViolation(Problem(None, "service tasks are dispatched by KeyDesk, not by diagram code"))

    def _round_trip(self, mode: str, source, context: dict, external: dict) -> dict:
        max_chars = limits.max_state_bytes()
        budget = limits.current()
        seconds = budget.allowance(self.max_seconds) if budget else self.max_seconds
        visible = _visible(context)
        request = {"mode": mode, "source": source, "max_steps": self.max_steps, "max_seconds": seconds,
                   "cpu_seconds": seconds + WALL_GRACE_SECONDS, "max_chars": max_chars,
                   "data": wire.plain_data(visible, max_chars), "external": wire.plain_data(external, max_chars)}
        try:
            reply = self.send(request, seconds + WALL_GRACE_SECONDS, max_chars)
            if "problem" in reply:
                raise SandboxViolation(Problem(**reply["problem"]))
        except SandboxViolation as err:
            if seconds < self.max_seconds and err.problem.message.startswith(rules.TIME_LIMIT):
                raise budget.exceeded() from None  # cut short by what was left of the step, not by its own limit
            raise
        if "error" in reply:
            error = reply["error"]
            raise DiagramCodeError(error["type"], error["message"], error["line"])
        return reply


def _visible(context: dict) -> dict:
    """The task data diagram code sees: names starting with '_' are KeyDesk's own."""
    return {name: value for name, value in context.items() if not name.startswith("_")}


def _shortened(code) -> str:
    text = str(code)
    return text if len(text) <= 200 else text[:197] + "..."


def _is_data_name(name) -> bool:
    return isinstance(name, str) and not name.startswith("_")


class _SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine whose errors say why and where: SpiffWorkflow's own wrapping drops the reason,
    and reads the line from a traceback that stays in the evaluator process.

    Service tasks go to `services` (KeyDesk's handlers, trusted code), never to diagram code.
    """

    def __init__(self, environment, services=None):
        super().__init__(environment)
        self.services = services

    def evaluate(self, task, expression, external_context=None):
        try:
            return bounds.checked_value(task, expression,
                                        self.environment.evaluate(expression, task.data, external_context))
        except SpiffWorkflowException as err:
            err.add_note(f"Error evaluating expression '{_shortened(expression)}'")
            raise
        except Exception as err:
            message = f"Error evaluating expression '{_shortened(expression)}': {type(err).__name__}: {err}"
            raise WorkflowTaskException(message, task=task, exception=err) from err

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context)
        except (SandboxViolation, DiagramCodeError) as err:
            line = err.problem.line if isinstance(err, SandboxViolation) else err.line
            lines = script.splitlines() if isinstance(script, str) else []
            error_line = lines[line - 1] if line and line <= len(lines) else ""
            raise WorkflowTaskException(str(err), task=task, exception=err, line_number=line or 0,
                                        error_line=error_line) from err
        except Exception as err:
            raise WorkflowTaskException(f"{type(err).__name__}: {err}", task=task, exception=err) from err

    def call_service(self, task, **kwargs):
        # SpiffWorkflow's own version fails with a NameError while wrapping the error
        try:
            if self.services is None:
                return self.environment.call_service(task.data, **kwargs)
            return self.services(task, **kwargs)
        except Exception as err:
            raise WorkflowTaskException(str(err), task=task, exception=err) from err


def make_script_engine(services=None, send=pool.send) -> PythonScriptEngine:
    """The script engine KeyDesk gives every workflow: SpiffWorkflow's, on the evaluator processes.

    `services(task, operation_name=..., operation_params=...)` runs service tasks and returns JSON text.
    """
    return _SandboxScriptEngine(environment=SandboxEnvironment(send=send), services=services)
