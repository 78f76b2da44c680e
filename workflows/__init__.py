"""Per-process Python that diagrams refer to by name: service-task handlers (forms are files under ``bpmn/``).

``HANDLERS`` maps a service task's operation name to the function that carries it out; ``PARAMETERS`` and
``OUTPUTS`` say what it takes and the keys of what it returns.
"""

from workflows import churn_watch, handlers, member_review, retention_plan, revisit_plan

HANDLERS: dict = {**handlers.HANDLERS, **churn_watch.HANDLERS, **member_review.HANDLERS, **retention_plan.HANDLERS,
                  **revisit_plan.HANDLERS}
PARAMETERS: dict[str, list[str]] = dict(handlers.PARAMETERS)  # an operation not named here takes none
# the keys each result holds
OUTPUTS: dict[str, list[str]] = {**handlers.OUTPUTS, **churn_watch.OUTPUTS, **retention_plan.OUTPUTS,
                                 **revisit_plan.OUTPUTS}
