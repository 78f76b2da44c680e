"""What one engine step may spend on diagram code, and how big a ticket's workflow state may get.

An engine step is what one request or one timer runs (start a ticket, complete a task, fire a timer).
Each evaluation has its own budget; the step's budget stops a loop in the diagram whose every
evaluation stays within its own (126 s for one `POST /tickets` before this existed).

Settings (environment): KEYDESK_MAX_STATE_BYTES (default 1,000,000), KEYDESK_STEP_SECONDS (default 10).
"""

import contextlib
import contextvars
import os
import time

from engine.sandbox.rules import Problem, SandboxViolation

STEP_EVALUATIONS = 10_000


def max_state_bytes() -> int:
    """The most a ticket's serialized workflow state, and so its task data, may take."""
    return int(os.environ.get("KEYDESK_MAX_STATE_BYTES", "1000000"))


class StepBudget:
    """The sandbox time and the number of evaluations one engine step has left."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.evaluations = 0

    def allowance(self, wanted: float) -> float:
        """Seconds the next evaluation may take; refuses it when the step has spent its budget."""
        self.evaluations += 1
        left = self.deadline - time.monotonic()
        if self.evaluations > STEP_EVALUATIONS or left <= 0:
            raise self.exceeded()
        return min(wanted, left)

    def exceeded(self) -> SandboxViolation:
        return SandboxViolation(Problem(
            None, f"step budget exceeded: one engine step may run diagram code for {self.seconds:g} s and "
                  f"{STEP_EVALUATIONS:,} evaluations (this one reached {self.evaluations:,}); "
                  "a loop in the diagram probably never ends",
            f"超出单步预算：一个引擎步骤运行图表代码最多 {self.seconds:g} 秒、{STEP_EVALUATIONS:,} 次求值"
            f"（本步骤已达 {self.evaluations:,} 次）；流程图中的循环可能不会结束"))


_current: contextvars.ContextVar[StepBudget | None] = contextvars.ContextVar("step_budget", default=None)


def current() -> StepBudget | None:
    return _current.get()


@contextlib.contextmanager
def engine_step():
    """Give the code inside one step's budget; inside a step already, keep that one."""
    if _current.get() is not None:
        yield
        return
    token = _current.set(StepBudget(float(os.environ.get("KEYDESK_STEP_SECONDS", "10"))))
    try:
        yield
    finally:
        _current.reset(token)
